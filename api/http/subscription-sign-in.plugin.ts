import { type ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Viewer } from "../auth/auth.service.ts";
import type { SignInEnd, SignInWatch } from "../auth/sign-in-watch.ts";

/** The last event of a subscription whose sign-in ended: clients refresh the session and subscribe again. */
export function signInEndedError(why: SignInEnd): GraphQLError {
  const message =
    why === "expired"
      ? "Access token expired: refresh the session and subscribe again"
      : "Sign-in revoked or changed: refresh the session (or sign in) and subscribe again";
  return new GraphQLError(message, {
    extensions: { code: "UNAUTHENTICATED", reason: why === "expired" ? "TOKEN_EXPIRED" : "SIGN_IN_CHANGED" },
  });
}

/**
 * Ends each subscription of a signed-in viewer when its sign-in ends (see sign-in-watch.ts), with a last event
 * holding an UNAUTHENTICATED error: over SSE that is an `event: next` carrying the error, then `event: complete`.
 * Transports that end the whole connection themselves (graphql-ws closes the socket) are skipped by `handledElsewhere`.
 */
export function endSubscriptionsWithSignIn<TContext extends { viewer: Viewer | null }>(deps: {
  signIns: SignInWatch;
  handledElsewhere: (context: TContext) => boolean;
}): Plugin<TContext> {
  return {
    onSubscribe({ args }) {
      const context = args.contextValue as TContext;
      const { viewer } = context;
      if (!viewer || deps.handledElsewhere(context)) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endWhenSignInEnds(result, (stop) => deps.signIns.watch(viewer, stop)));
        },
      };
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function endWhenSignInEnds(
  source: AsyncIterable<ExecutionResult>,
  watch: (stop: (why: SignInEnd) => void) => () => void,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let stop: (why: SignInEnd) => void = () => {};
  const stopped = new Promise<{ ended: SignInEnd }>((resolve) => {
    stop = (why) => resolve({ ended: why });
  });
  const unwatch = watch(stop);
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    unwatch();
    await iterator.return?.();
  };
  return {
    async next(): Promise<IteratorResult<ExecutionResult>> {
      if (finished) return { done: true, value: undefined };
      const step = await Promise.race([iterator.next(), stopped]);
      if ("ended" in step) {
        await finish();
        return { done: false, value: { errors: [signInEndedError(step.ended)] } };
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
      return this;
    },
  };
}
