import { type ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The code of the last event of a subscription ended by a shutdown: subscribe again, with `after`. */
export const SERVICE_RESTARTING = "SERVICE_RESTARTING";

/**
 * Ends SSE subscriptions cleanly when the instance shuts down: each gets a last event holding a SERVICE_RESTARTING
 * error (`event: next`), then `event: complete`, instead of a cut connection. The client subscribes again, through
 * the load balancer to another instance, with `after` set to the last cursor it received, and misses nothing.
 * graphql-ws subscriptions are skipped (`handledElsewhere`): their socket is closed with 1012 and clients resubscribe.
 */
export function endSubscriptionsOnShutdown<TContext extends { request: Request }>(
  handledElsewhere: (context: TContext) => boolean,
) {
  const stops = new Set<() => void>();
  let shuttingDown = false;
  const plugin: Plugin<TContext> = {
    onSubscribe({ args }) {
      if (handledElsewhere(args.contextValue as TContext)) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endOnShutdown(result, stops, shuttingDown));
        },
      };
    },
  };
  return {
    plugin,
    /** Ends every SSE subscription with its last event; they answer `complete` right after. */
    endAll(): void {
      shuttingDown = true;
      for (const stop of [...stops]) stop();
    },
    /** SSE subscriptions open now. */
    count: () => stops.size,
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function endOnShutdown(
  source: AsyncIterable<ExecutionResult>,
  stops: Set<() => void>,
  alreadyShuttingDown: boolean,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let stop: () => void = () => {};
  const stopped = new Promise<"stopped">((resolve) => {
    stop = () => resolve("stopped");
  });
  stops.add(stop);
  if (alreadyShuttingDown) stop();
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    stops.delete(stop);
    await iterator.return?.();
  };
  const wrapped: AsyncIterableIterator<ExecutionResult> = {
    async next(): Promise<IteratorResult<ExecutionResult>> {
      if (finished) return { done: true, value: undefined };
      const step = await Promise.race([iterator.next(), stopped]);
      if (step === "stopped") {
        await finish();
        const error = new GraphQLError("Server restarting: subscribe again with `after` set to the last cursor", {
          extensions: { code: SERVICE_RESTARTING },
        });
        return { done: false, value: { errors: [error] } };
      }
      if (step.done) await finish();
      return step;
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}
