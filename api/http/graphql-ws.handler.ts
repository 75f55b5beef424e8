import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { execute as graphqlExecute, subscribe as graphqlSubscribe } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/auth.service.ts";
import type { SignInWatch } from "../auth/sign-in-watch.ts";
import { currentRequestId, requestIdOf, withRequestId } from "../ops/logger.ts";
import type { Metrics } from "../ops/metrics.ts";
import type { GraphQLHandler } from "./graphql.handler.ts";
import type { RequestAuth } from "./request-auth.ts";

/**
 * Close code graphql-ws clients see when their token is refused at connect, or when the sign-in of an open socket
 * is revoked (log-out, token theft) or changes role: refresh the session (sign in again if that fails) and reconnect.
 */
export const WS_FORBIDDEN = 4403;
/**
 * Close code graphql-ws clients see when the access token the socket was opened with expires: refresh and reconnect.
 * Not 4401: graphql-ws clients treat 4401 (Unauthorized) as fatal and would not reconnect.
 */
export const WS_TOKEN_EXPIRED = 4419;
/** Close code graphql-ws clients see when the instance shuts down: reconnect (the proxy picks another instance). */
export const WS_SERVICE_RESTART = 1012;

/** What onSubscribe hands graphql-ws's execute/subscribe: yoga's enveloped ones, and the socket's request id. */
interface OperationRoot {
  execute: typeof graphqlExecute;
  subscribe: typeof graphqlSubscribe;
  requestId: string;
}

/**
 * graphql-ws on the WebSocket upgrade of /graphql: authenticated once when the socket connects (a refused token
 * closes it with 4403), each operation run through yoga's envelop so both transports share one pipeline. The sign-in
 * stays watched while the socket is open: expiry closes it with 4419, revocation or a role change with 4403.
 */
export function createGraphQLWsHandler(deps: {
  graphql: GraphQLHandler;
  requestAuth: RequestAuth;
  metrics: Metrics;
  signIns: SignInWatch;
}) {
  const { graphql, requestAuth, metrics, signIns } = deps;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  /** The request id of each socket's upgrade (the x-request-id its client or proxy sent, or a generated one). */
  const upgradeRequestIds = new WeakMap<IncomingMessage, string>();
  const disposable = useServer<
    Record<string, unknown>,
    { viewer?: Viewer | null; participantToken?: string | null; request: IncomingMessage }
  >(
    {
      // Each operation runs as part of the upgrade's request: what it logs carries that request id.
      execute: (args) => {
        const { execute, requestId } = args.rootValue as OperationRoot;
        return withRequestId(requestId, () => execute(args));
      },
      subscribe: (args) => {
        const { subscribe, requestId } = args.rootValue as OperationRoot;
        return withRequestId(requestId, () => subscribe(args));
      },
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const found = await requestAuth.viewerFromAuthorization(params.authorization ?? params.Authorization);
        // A client that presents a token we refuse is told so at once (4403) instead of acting anonymous.
        if (found === "invalid") return false;
        ctx.extra.viewer = found;
        if (found) {
          const { socket } = ctx.extra;
          // Gone while we checked the token: nothing to watch, and no "close" would ever unwatch it.
          if (socket.readyState !== socket.OPEN) return false;
          const unwatch = signIns.watch(found, (why) =>
            why === "expired"
              ? socket.close(WS_TOKEN_EXPIRED, "Access token expired: refresh and reconnect")
              : socket.close(WS_FORBIDDEN, "Sign-in revoked or changed: refresh and reconnect"),
          );
          socket.once("close", unwatch);
        }
        const participantToken = params.participantToken;
        if (participantToken !== undefined && participantToken !== null && participantToken !== "") {
          if (!(await requestAuth.participantFromToken(participantToken))) return false;
          ctx.extra.participantToken = participantToken as string;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const request = ctx.extra.request;
        // A POST, so yoga lets mutations through as it does over HTTP.
        const standIn = new Request(`http://localhost${request.url ?? "/graphql"}`, {
          method: "POST",
          headers: { "user-agent": request.headers["user-agent"] ?? "" },
        });
        graphql.markRealtime(standIn);
        const {
          schema: envelopedSchema,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = graphql.yoga.getEnveloped({
          ...ctx,
          req: request,
          socket: ctx.extra.socket,
          params,
          request: standIn,
          viewer: ctx.extra.viewer ?? null,
          participantToken: ctx.extra.participantToken ?? null,
          clientAddress: requestAuth.clientAddressOfHeaders(request.socket.remoteAddress, request.headers),
        });
        const args = {
          schema: envelopedSchema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: {
            execute,
            subscribe,
            requestId: upgradeRequestIds.get(request) ?? requestIdOf(request.headers["x-request-id"]),
          } satisfies OperationRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  return {
    /** Takes over an upgrade of /graphql. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      const requestId = currentRequestId();
      if (requestId) upgradeRequestIds.set(request, requestId);
      wsServer.handleUpgrade(request, socket, head, (client) => {
        metrics.wsConnections.inc();
        client.once("close", () => metrics.wsConnections.dec());
        wsServer.emit("connection", client, request);
      });
    },
    /** Asks every client to reconnect (1012) and resolves once their sockets closed. */
    restartClients(reason: string): Promise<void> {
      const sockets = [...wsServer.clients];
      const closed = Promise.all(
        sockets.map((client) => new Promise<void>((done) => client.once("close", () => done()))),
      );
      for (const client of sockets) client.close(WS_SERVICE_RESTART, reason);
      return closed.then(() => undefined);
    },
    clientCount: () => wsServer.clients.size,
    /** Stops graphql-ws and cuts the sockets still open. */
    async close(): Promise<void> {
      await disposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      wsServer.close();
    },
  };
}

export type GraphQLWsHandler = ReturnType<typeof createGraphQLWsHandler>;
