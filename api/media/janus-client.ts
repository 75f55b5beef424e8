import { randomBytes } from "node:crypto";

/**
 * A small typed client for Janus's REST API (HTTP transport): sessions, plugin handles, messages answered
 * synchronously or later on the session's long-poll (matched by transaction id), trickle, keepalive. Every request
 * carries the API secret: only a server that knows it may talk to Janus (the browser never does, see
 * docs/calls.md "Media server").
 */

export interface Jsep {
  type: "offer" | "answer";
  sdp: string;
  /** Janus marks offers and answers that carry simulcast. */
  simulcast?: boolean;
  /** false: the SDP carries all of its candidates (half-trickle), so no `trickle {completed}` has to follow. */
  trickle?: boolean;
  e2ee?: boolean;
}

/** A Janus-level failure (`"janus": "error"`): unknown session or handle, bad secret, bad request. */
export class JanusError extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(`Janus error ${code}: ${reason}`);
  }
}

/** A plugin-level failure (`error_code` in the plugin's answer), e.g. videoroom 426 "no such room". */
export class JanusPluginError extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(`Janus plugin error ${code}: ${reason}`);
  }
}

/** An event for a handle that answered no pending request: room notifications, renegotiations, ICE/DTLS state. */
export type JanusHandleEvent =
  | { kind: "plugin"; data: Record<string, unknown>; jsep?: Jsep }
  | { kind: "webrtcup" }
  | { kind: "media"; type: string; receiving: boolean; mid?: string }
  | { kind: "slowlink"; uplink: boolean; mid?: string }
  | { kind: "hangup"; reason: string }
  | { kind: "detached" };

interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id?: number } & Record<string, unknown>;
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: Jsep;
  reason?: string;
  type?: string;
  receiving?: boolean;
  uplink?: boolean;
  mid?: string;
}

export interface JanusClientOptions {
  /** The REST API root, e.g. http://127.0.0.1:8088/janus. */
  url: string;
  /** Janus's api_secret; undefined for a Janus configured without one. */
  apiSecret: string | undefined;
  /** Keepalive period; below Janus's `session_timeout` (60 s by default). */
  keepaliveMs?: number;
  /** Events one long-poll may return at once. */
  maxEvents?: number;
  /** How long a request (or an asynchronous answer) may take. */
  timeoutMs?: number;
}

const transactionId = () => randomBytes(9).toString("base64url");
const secret = (apiSecret: string | undefined) => (apiSecret ? { apisecret: apiSecret } : {});

export class JanusClient {
  constructor(readonly options: JanusClientOptions) {}

  /** POSTs one request to a path under the API root; answers the parsed reply, throwing on `"janus": "error"`. */
  async post(path: string, body: Record<string, unknown>): Promise<JanusMessage> {
    const transaction = transactionId();
    const response = await fetch(`${this.options.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, transaction, ...secret(this.options.apiSecret) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const reply = (await response.json()) as JanusMessage;
    if (reply.janus === "error") throw new JanusError(reply.error?.code ?? 0, reply.error?.reason ?? "unknown");
    return reply;
  }

  async createSession(): Promise<JanusSession> {
    const reply = await this.post("", { janus: "create" });
    const id = reply.data?.id;
    if (typeof id !== "number") throw new JanusError(0, "create answered no session id");
    return new JanusSession(this, id);
  }
}

interface Pending {
  resolve(message: JanusMessage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One Janus session: its handles, one long-poll dispatching asynchronous answers (by transaction) and events (by
 * handle), and a keepalive. When Janus forgets it (restart, timeout) or stops answering, `onLost` listeners hear it.
 */
export class JanusSession {
  private readonly handles = new Map<number, JanusHandle>();
  private readonly pending = new Map<string, Pending>();
  private readonly lostListeners = new Set<(error: Error) => void>();
  private readonly abort = new AbortController();
  private readonly keepalive: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    readonly client: JanusClient,
    readonly id: number,
  ) {
    this.keepalive = setInterval(() => {
      this.client.post(`/${this.id}`, { janus: "keepalive" }).catch((error) => this.lose(error));
    }, client.options.keepaliveMs ?? 25_000);
    this.keepalive.unref();
    void this.poll();
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Called once when the session is lost (not when destroyed on purpose). */
  onLost(listener: (error: Error) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async attach(plugin = "janus.plugin.videoroom"): Promise<JanusHandle> {
    const reply = await this.client.post(`/${this.id}`, { janus: "attach", plugin });
    const id = reply.data?.id;
    if (typeof id !== "number") throw new JanusError(0, "attach answered no handle id");
    const handle = new JanusHandle(this, id);
    this.handles.set(id, handle);
    return handle;
  }

  /**
   * Sends a request for a handle. A synchronous answer ("success") is returned at once; an "ack" means the answer
   * comes later on the long-poll with the same transaction id, and this waits for it.
   */
  async request(handleId: number, body: Record<string, unknown>): Promise<JanusMessage> {
    if (this.closed) throw new JanusError(458, "session closed");
    const transaction = transactionId();
    const answer = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError(0, `no answer to ${String(body.janus)} in time`));
      }, this.client.options.timeoutMs ?? 10_000);
      this.pending.set(transaction, { resolve, reject, timer });
    });
    // The answer may arrive on the long-poll before the POST returns: it waits in `pending` either way.
    answer.catch(() => {});
    let reply: JanusMessage;
    try {
      const response = await fetch(`${this.client.options.url}/${this.id}/${handleId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, transaction, ...secret(this.client.options.apiSecret) }),
        signal: AbortSignal.timeout(this.client.options.timeoutMs ?? 10_000),
      });
      reply = (await response.json()) as JanusMessage;
    } catch (error) {
      this.settle(transaction);
      throw error;
    }
    // Only plugin messages answer later; a trickle's "ack" is all there is.
    if (reply.janus === "ack" && body.janus === "message") return answer;
    this.settle(transaction);
    if (reply.janus === "error") throw new JanusError(reply.error?.code ?? 0, reply.error?.reason ?? "unknown");
    return reply;
  }

  private settle(transaction: string): Pending | undefined {
    const pending = this.pending.get(transaction);
    if (pending) {
      clearTimeout(pending.timer);
      this.pending.delete(transaction);
    }
    return pending;
  }

  forget(handleId: number) {
    this.handles.delete(handleId);
  }

  private async poll() {
    while (!this.closed) {
      let messages: JanusMessage[];
      try {
        const apiSecret = this.client.options.apiSecret;
        const url = `${this.client.options.url}/${this.id}?maxev=${this.client.options.maxEvents ?? 50}${apiSecret ? `&apisecret=${encodeURIComponent(apiSecret)}` : ""}&rid=${Date.now()}`;
        const response = await fetch(url, { signal: this.abort.signal });
        const body = (await response.json()) as JanusMessage | JanusMessage[];
        messages = Array.isArray(body) ? body : [body];
      } catch (error) {
        if (!this.closed) this.lose(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      for (const message of messages) this.dispatch(message);
    }
  }

  private dispatch(message: JanusMessage) {
    if (message.janus === "keepalive") return;
    if (message.janus === "error" && message.error?.code === 458) {
      this.lose(new JanusError(458, message.error.reason));
      return;
    }
    if (message.janus === "timeout") {
      this.lose(new JanusError(0, "session timed out"));
      return;
    }
    const pending = message.transaction ? this.settle(message.transaction) : undefined;
    if (pending) {
      pending.resolve(message);
      return;
    }
    const handle = message.sender === undefined ? undefined : this.handles.get(message.sender);
    if (!handle) return;
    switch (message.janus) {
      case "event":
        if (message.plugindata)
          handle.emit({
            kind: "plugin",
            data: message.plugindata.data,
            ...(message.jsep ? { jsep: message.jsep } : {}),
          });
        break;
      case "webrtcup":
        handle.emit({ kind: "webrtcup" });
        break;
      case "media":
        handle.emit({
          kind: "media",
          type: message.type ?? "",
          receiving: message.receiving === true,
          mid: message.mid,
        });
        break;
      case "slowlink":
        handle.emit({ kind: "slowlink", uplink: message.uplink === true, mid: message.mid });
        break;
      case "hangup":
        handle.emit({ kind: "hangup", reason: message.reason ?? "" });
        break;
      case "detached":
        this.handles.delete(handle.id);
        handle.emit({ kind: "detached" });
        break;
    }
  }

  private lose(error: Error) {
    if (this.closed) return;
    this.shutDown(error);
    for (const listener of this.lostListeners) listener(error);
  }

  private shutDown(error: Error) {
    this.closed = true;
    clearInterval(this.keepalive);
    this.abort.abort();
    for (const [transaction, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(transaction);
      pending.reject(error);
    }
    for (const handle of this.handles.values()) handle.emit({ kind: "detached" });
    this.handles.clear();
  }

  /** Destroys the session in Janus (its handles with it) and stops polling. */
  async destroy(): Promise<void> {
    if (this.closed) return;
    this.shutDown(new JanusError(458, "session destroyed"));
    await this.client.post(`/${this.id}`, { janus: "destroy" }).catch(() => {});
  }
}

/** A plugin handle: messages to the plugin, trickle, and the events Janus sends about it. */
export class JanusHandle {
  private readonly listeners = new Set<(event: JanusHandleEvent) => void>();

  constructor(
    readonly session: JanusSession,
    readonly id: number,
  ) {}

  on(listener: (event: JanusHandleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: JanusHandleEvent) {
    for (const listener of this.listeners) listener(event);
  }

  /**
   * A plugin request; answers the plugin's data (and the JSEP it sent), throwing JanusPluginError when the plugin
   * refused (videoroom answers `error_code`).
   */
  async message<Data extends Record<string, unknown> = Record<string, unknown>>(
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<{ data: Data; jsep?: Jsep }> {
    const reply = await this.session.request(this.id, { janus: "message", body, ...(jsep ? { jsep } : {}) });
    const data = (reply.plugindata?.data ?? {}) as Data & { error_code?: number; error?: string };
    if (typeof data.error_code === "number") throw new JanusPluginError(data.error_code, data.error ?? "");
    return { data, ...(reply.jsep ? { jsep: reply.jsep } : {}) };
  }

  /** Candidates of the remote peer, or `null` once it gathered them all. */
  async trickle(candidates: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }[] | null) {
    await this.session.request(
      this.id,
      candidates === null ? { janus: "trickle", candidate: { completed: true } } : { janus: "trickle", candidates },
    );
  }

  async hangup(): Promise<void> {
    await this.session.request(this.id, { janus: "hangup" }).catch(() => {});
  }

  /** Detaches the handle: its PeerConnection closes and it leaves its room at once. */
  async detach(): Promise<void> {
    this.session.forget(this.id);
    await this.session.request(this.id, { janus: "detach" }).catch(() => {});
    this.emit({ kind: "detached" });
    this.listeners.clear();
  }
}
