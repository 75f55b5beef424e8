import { createRequire } from "node:module";
import type { DocumentNode, ExecutionArgs, ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * graphql ships CommonJS and ESM builds, and graphql refuses a schema built by the other one. Node loads the
 * CommonJS build for everyone; vitest may give our modules the ESM build while Pothos built the schema with the
 * CommonJS one. So the functions come from whichever build made the schema.
 */
type GraphQL = typeof import("graphql");
const require = createRequire(import.meta.url);
const builds = new WeakMap<object, GraphQL>();
function graphqlOf(schema: object): GraphQL {
  let build = builds.get(schema);
  if (!build) {
    const candidates = [require("graphql/index.js"), require("graphql")] as GraphQL[];
    build = candidates.find((candidate) => schema instanceof candidate.GraphQLSchema) ?? (candidates[0] as GraphQL);
    builds.set(schema, build);
  }
  return build;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Subscribers who asked the same thing (same document, operation and variables) as the same viewer get the same
 * answer to an event, so the answer is computed once per event and shared. 2,000 devices of one customer on a
 * ticket meant 2,000 identical executions of the event's selection per message; now one.
 *
 * One realtime event reaches every local subscriber as the same payload object (in-process and Redis targets
 * alike), which keys the sharing; results are forgotten with the event. A subscription whose viewer key is null
 * is executed on its own. The per-event execution is graphql-js' `execute`, as in graphql-js' own `subscribe`
 * (graphql-tools' executor wraps every event of every subscriber in extra async iterators, measurable at this
 * fan-out); envelop's hooks (error masking, metrics) still see each subscriber's results.
 */
export function sharedSubscriptionResults<TContext>(viewerKey: (context: TContext) => string | null): Plugin {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const byEvent = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();

  function shareKey(args: ExecutionArgs): string | null {
    const viewer = viewerKey(args.contextValue as TContext);
    if (viewer === null) return null;
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) {
      documentId = nextDocumentId++;
      documentIds.set(args.document, documentId);
    }
    return `${documentId}|${args.operationName ?? ""}|${JSON.stringify(args.variableValues ?? {})}|${viewer}`;
  }

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const { createSourceEventStream, execute } = graphqlOf(args.schema);
        const stream = await createSourceEventStream(args);
        if (!isAsyncIterable(stream)) return stream;
        const key = shareKey(args);
        const run = (event: unknown) => execute({ ...args, rootValue: event });
        return mapEvents(stream, (event) => {
          if (key === null || typeof event !== "object" || event === null) return run(event);
          let results = byEvent.get(event);
          if (!results) {
            results = new Map();
            byEvent.set(event, results);
          }
          let result = results.get(key);
          if (!result) {
            result = run(event);
            results.set(key, result);
          }
          return result;
        });
      });
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** Maps an async iterator with one promise per event (no generator, no queue): the hot path of fan-out. */
export function mapEvents<T, U>(
  source: AsyncIterable<T>,
  map: (value: T) => MaybePromise<U>,
): AsyncIterableIterator<U> {
  return derived(source, async (iterator): Promise<IteratorResult<U>> => {
    const step = await iterator.next();
    if (step.done) return { done: true, value: undefined };
    return { done: false, value: await map(step.value) };
  });
}

/** Passes on the events `keep` accepts; a lighter stand-in for graphql-yoga's Repeater-based `filter`. */
export function filterEvents<T>(source: AsyncIterable<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  return derived(source, async (iterator): Promise<IteratorResult<T>> => {
    for (;;) {
      const step = await iterator.next();
      if (step.done) return { done: true, value: undefined };
      if (keep(step.value)) return step;
    }
  });
}

/**
 * An iterator whose `next` reads from `source`; ending it (return or throw) ends the source at once, even while a
 * `next` waits for an event (an async generator would end only after its pending `for await` step).
 */
export function derived<T, U>(
  source: AsyncIterable<T>,
  next: (iterator: AsyncIterator<T>) => Promise<IteratorResult<U>>,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    next: () => next(iterator),
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
