/** Baseline: a bare graphql-yoga hello-world server (no database, no auth), the ceiling for bench:api. */
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";

const yoga = createYoga({
  schema: createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } }),
  logging: false,
  landingPage: false,
  graphiql: false,
});
const server = createServer((request, response) => {
  if (request.url === "/readyz") response.end("ok");
  else void yoga.requestListener(request, response);
});
server.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
