import { getOperationAST } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Metrics } from "./metrics.ts";

/** Counts operations and active subscriptions for /metrics; operation names beyond a few hundred count as "other". */
export function metricsPlugin(metrics: Metrics): Plugin {
  const names = new Set<string>();
  const nameOf = (document: Parameters<typeof getOperationAST>[0], operationName?: string | null) => {
    const operation = getOperationAST(document, operationName);
    let name = operation?.name?.value ?? "anonymous";
    if (!names.has(name)) {
      if (names.size >= 200) name = "other";
      else names.add(name);
    }
    return { type: operation?.operation ?? "unknown", name };
  };
  return {
    onExecute({ args }) {
      const { type, name } = nameOf(args.document, args.operationName);
      metrics.graphqlOperations.inc({ type, name });
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result) && result.errors?.length) metrics.graphqlErrors.inc({ name });
        },
      };
    },
    onSubscribe({ args }) {
      const { name } = nameOf(args.document, args.operationName);
      metrics.graphqlOperations.inc({ type: "subscription", name });
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return;
          metrics.activeSubscriptions.inc();
          return { onEnd: () => metrics.activeSubscriptions.dec() };
        },
      };
    },
  };
}
