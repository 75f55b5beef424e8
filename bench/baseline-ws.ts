/**
 * Baseline: a bare graphql-ws broadcast server. Subscribers listen on `ticketEvents`; POST /publish broadcasts one
 * event from an in-process pub/sub. No database, no auth: the ceiling for bench:fanout.
 */
import { setMaxListeners } from "node:events";
import { createServer } from "node:http";
import { execute, subscribe } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema } from "graphql-yoga";
import { WebSocketServer } from "ws";

const eventTarget = new EventTarget();
setMaxListeners(0, eventTarget);
const pubsub = createPubSub<{ event: [payload: { kind: string; ticketId: string }] }>({ eventTarget });
const schema = createSchema({
  typeDefs: `type Event { kind: String! ticketId: ID! }
    type Query { hello: String! }
    type Subscription { ticketEvents(ticketId: ID!): Event! }`,
  resolvers: {
    Query: { hello: () => "world" },
    Subscription: { ticketEvents: { subscribe: () => pubsub.subscribe("event"), resolve: (event: unknown) => event } },
  },
});
const server = createServer((request, response) => {
  if (request.url === "/publish") {
    pubsub.publish("event", { kind: "MESSAGE_ADDED", ticketId: "t1" });
    response.end("ok");
  } else response.end("ok");
});
const wsServer = new WebSocketServer({ server, path: "/graphql" });
useServer({ schema, execute, subscribe }, wsServer);
server.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
