import { randomBytes } from "node:crypto";

/**
 * The few Janus API calls the server side needs for itself (health, room counts in /metrics). The participant
 * flows (join, publish, subscribe…) go through api/media/janus-client.ts.
 */

/** `GET <url>/info`: whether a Janus answers at `url` (the API base, e.g. http://127.0.0.1:8088/janus). */
export async function janusAnswers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}/info`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    const body = (await response.json()) as { janus?: string };
    return body.janus === "server_info";
  } catch {
    return false;
  }
}

export class JanusRequestError extends Error {
  override name = "JanusRequestError";
}

/** One Janus API request (POST); answers the parsed body or throws JanusRequestError on a Janus `error`. */
export async function janusPost<T = Record<string, unknown>>(
  url: string,
  apiSecret: string | undefined,
  body: Record<string, unknown>,
  timeoutMs = 5000,
): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      transaction: randomBytes(8).toString("hex"),
      ...(apiSecret ? { apisecret: apiSecret } : {}),
      ...body,
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const answer = (await response.json()) as { janus: string; error?: { code: number; reason: string } } & T;
  if (answer.janus === "error") throw new JanusRequestError(`Janus: ${answer.error?.reason ?? "error"}`);
  return answer;
}

/** Runs `work` with a Janus session and a VideoRoom handle, destroying the session afterwards. */
export async function withVideoRoomHandle<T>(
  url: string,
  apiSecret: string | undefined,
  work: (request: (body: Record<string, unknown>) => Promise<Record<string, unknown>>) => Promise<T>,
): Promise<T> {
  const session = await janusPost<{ data: { id: number } }>(url, apiSecret, { janus: "create" });
  const sessionUrl = `${url}/${session.data.id}`;
  try {
    const handle = await janusPost<{ data: { id: number } }>(sessionUrl, apiSecret, {
      janus: "attach",
      plugin: "janus.plugin.videoroom",
    });
    return await work(async (body) => {
      const answer = await janusPost<{ plugindata?: { data: Record<string, unknown> } }>(
        `${sessionUrl}/${handle.data.id}`,
        apiSecret,
        { janus: "message", body },
      );
      const data = answer.plugindata?.data ?? {};
      if (typeof data.error === "string") throw new JanusRequestError(`Janus VideoRoom: ${data.error}`);
      return data;
    });
  } finally {
    await janusPost(sessionUrl, apiSecret, { janus: "destroy" }).catch(() => undefined);
  }
}

/** How many VideoRoom rooms a Janus holds right now. */
export async function countRooms(url: string, apiSecret: string | undefined): Promise<number> {
  return withVideoRoomHandle(url, apiSecret, async (request) => {
    const data = await request({ request: "list" });
    return Array.isArray(data.list) ? data.list.length : 0;
  });
}
