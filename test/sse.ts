import type { GraphQLResponse } from "./harness.ts";

/**
 * A GraphQL subscription over Server-Sent Events, the way browsers without WebSockets use it: a POST to /graphql
 * with `accept: text/event-stream`; yoga answers with `event: next` blocks and a final `event: complete`.
 * Same interface as `subscribe()` in harness.ts.
 */
export function sseSubscribe<Data = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  /** More request headers, such as a live session's `x-participant-token`. */
  headers: Record<string, string> = {},
) {
  const controller = new AbortController();
  const received: GraphQLResponse<Data>[] = [];
  const waiters: ((value: GraphQLResponse<Data>) => void)[] = [];
  let failure: unknown;
  let completed = false;
  let status = 0;

  const deliver = (value: GraphQLResponse<Data>) => {
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else received.push(value);
  };

  const pump = (async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: {
        accept: "text/event-stream",
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    status = response.status;
    if (!response.body) throw new Error(`no event stream (HTTP ${response.status})`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (event === "complete") return;
        if (data.length > 0) deliver(JSON.parse(data.join("\n")) as GraphQLResponse<Data>);
      }
    }
  })()
    .catch((error: unknown) => {
      if (!controller.signal.aborted) failure = error;
    })
    .finally(() => {
      completed = true;
    });

  return {
    next(timeoutMs = 15_000): Promise<GraphQLResponse<Data>> {
      const queued = received.shift();
      if (queued) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no event arrived in time")), timeoutMs);
        waiters.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
    pending: () => [...received],
    get status() {
      return status;
    },
    get error() {
      return failure;
    },
    get done() {
      return completed;
    },
    async stop() {
      controller.abort();
      await pump;
    },
  };
}
