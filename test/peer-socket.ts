import WebSocket from "ws";

export interface PeerSocket {
  socket: WebSocket;
  messages: Record<string, any>[];
  next(type?: string, timeoutMs?: number): Promise<Record<string, any>>;
  closed: Promise<{ code: number }>;
}

/** Speaks PeerJS's signaling protocol the way the browser client does, to the server at `baseUrl`. */
export function connectPeerSocket(baseUrl: string, id: string, token: string, key = "peerjs"): PeerSocket {
  const socket = new WebSocket(
    `${baseUrl.replace("http", "ws")}/peerjs/peerjs?key=${key}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`,
  );
  const messages: Record<string, any>[] = [];
  const waiters: { type?: string; resolve: (message: Record<string, any>) => void }[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString());
    const index = waiters.findIndex((waiter) => !waiter.type || waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(message);
    else messages.push(message);
  });
  const closed = new Promise<{ code: number }>((resolve) => socket.on("close", (code) => resolve({ code })));
  return {
    socket,
    messages,
    closed,
    next(type, timeoutMs = 3000) {
      const index = messages.findIndex((message) => !type || message.type === type);
      if (index >= 0) return Promise.resolve(messages.splice(index, 1)[0] as Record<string, any>);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type ?? "message"} arrived`)), timeoutMs);
        waiters.push({
          type,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        });
      });
    },
  };
}

/** The HTTP status a WebSocket upgrade of `path` is answered with; 101 when it is accepted. */
export function upgradeStatus(baseUrl: string, path: string): Promise<number> {
  const socket = new WebSocket(`${baseUrl.replace("http", "ws")}${path}`);
  return new Promise((resolve, reject) => {
    socket.once("upgrade", (response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    // A socket closed with no HTTP answer: what a proxy counts as a failed upstream.
    socket.once("error", reject);
  });
}
