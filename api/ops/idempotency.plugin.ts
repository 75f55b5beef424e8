import { createHash } from "node:crypto";
import { type ExecutionResult, GraphQLError, getOperationAST, Kind, print } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { ParticipantAuth } from "../sessions/session-access.service.ts";
import { checkIdempotencyKey, type IdempotencyStore, idempotencyErrors, type StoredResponse } from "./idempotency.ts";

/** The mutations that create something, where a retry must not create it twice. */
export const IDEMPOTENT_MUTATIONS: ReadonlySet<string> = new Set([
  "createTicket",
  "addTicketMessage",
  "createLiveSession",
  "startCallFromTicket",
  "joinSession",
  "sendSessionChatMessage",
]);

interface CallerContext {
  viewer: { userId: string } | null;
  participant: ParticipantAuth | null;
  params?: { query?: string; extensions?: Record<string, unknown> | null };
}

/** Keys are per caller: one user's key never answers another's request. */
function scopeOf({ viewer, participant }: CallerContext): string {
  const parts = [viewer ? `user:${viewer.userId}` : "", participant ? `participant:${participant.participantId}` : ""];
  return parts.filter(Boolean).join(" ") || "anonymous";
}

/** Variables in a stable order; uploads by name, type and size (their bytes are not read twice). */
function canonical(value: unknown): unknown {
  if (value instanceof Blob) {
    return { file: value instanceof File ? value.name : "", type: value.type, size: value.size };
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((name) => [name, canonical((value as Record<string, unknown>)[name])]),
    );
  }
  return value;
}

function refusal(error: GraphQLError): ExecutionResult {
  return { errors: [error] };
}

/**
 * `extensions.idempotencyKey` on a create mutation (HTTP, SSE or graphql-ws alike): the first answer is kept and a
 * retry with the same key gets it back, marked `extensions.idempotentReplay`, instead of creating a duplicate.
 * `maskError` is the endpoint's error masking, so stored answers hold only what clients may see.
 */
export function idempotencyPlugin(store: IdempotencyStore, maskError: (error: unknown) => Error): Plugin {
  const serialize = (result: ExecutionResult): StoredResponse => ({
    data: result.data ?? null,
    errors: result.errors?.map((error) => {
      const masked = maskError(error);
      const extensions = masked instanceof GraphQLError ? { ...masked.extensions } : {};
      delete extensions.http;
      return { message: masked.message, path: error.path, extensions };
    }),
  });
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as unknown as CallerContext;
      const rawKey = context.params?.extensions?.idempotencyKey;
      if (rawKey === undefined || rawKey === null) return;
      setExecuteFn(async (executeArgs) => {
        let key: string;
        try {
          key = checkIdempotencyKey(rawKey);
        } catch (error) {
          return refusal(error as GraphQLError);
        }
        const operation = getOperationAST(executeArgs.document, executeArgs.operationName);
        // `__typename` may be added by the response cache.
        const fields = operation?.selectionSet.selections
          .map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : ""))
          .filter((field) => field !== "__typename");
        if (
          operation?.operation !== "mutation" ||
          !fields?.length ||
          !fields.every((field) => IDEMPOTENT_MUTATIONS.has(field))
        ) {
          return refusal(
            idempotencyErrors.invalidKey(
              `An idempotency key is accepted only on mutations of ${[...IDEMPOTENT_MUTATIONS].join(", ")}`,
            ),
          );
        }
        const operationHash = createHash("sha256")
          .update(
            JSON.stringify([
              // The text as sent: plugins may rewrite the document differently per transport.
              context.params?.query ?? print(executeArgs.document),
              executeArgs.operationName ?? null,
              canonical(executeArgs.variableValues),
            ]),
          )
          .digest("hex");
        let claim: Awaited<ReturnType<IdempotencyStore["claim"]>>;
        try {
          claim = await store.claim(scopeOf(context), key, operationHash);
        } catch (error) {
          if (error instanceof GraphQLError) return refusal(error);
          throw error;
        }
        if (claim.kind === "replay") {
          const { data, errors } = claim.response;
          return {
            data: data as ExecutionResult["data"],
            errors: errors?.map(
              (error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions }),
            ),
            extensions: { idempotentReplay: true },
          };
        }
        const { attempt } = claim;
        let result: Awaited<ReturnType<typeof executeFn>>;
        try {
          result = await store.run(attempt, async () => executeFn(executeArgs));
        } catch (error) {
          await store.abandon(attempt);
          throw error;
        }
        if (isAsyncIterable(result)) await store.abandon(attempt);
        else await store.finish(attempt, serialize(result));
        return result;
      });
    },
  };
}
