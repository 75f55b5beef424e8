import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one app instance, served at /metrics. Each app has its own registry (tests run several
 * apps in one process). A domain that owns a number registers its metric on `app.metrics.registry`.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by method, route and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpErrors: new Counter({
      name: "http_request_errors_total",
      help: "HTTP requests answered with a 5xx status.",
      labelNames: ["route"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time to answer an HTTP request (SSE streams excluded).",
      labelNames: ["route"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    responseCacheHits: new Counter({
      name: "graphql_response_cache_hits_total",
      help: "GraphQL queries answered from the ticket-list response cache (not counted in graphql_operations_total).",
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: "graphql_operations_total",
      help: "GraphQL operations executed, by type and operation name.",
      labelNames: ["type", "name"] as const,
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: "graphql_errors_total",
      help: "GraphQL results that carried top-level errors, by operation name.",
      labelNames: ["name"] as const,
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: "graphql_ws_connections",
      help: "Open graphql-ws connections.",
      registers: [registry],
    }),
    activeSubscriptions: new Gauge({
      name: "graphql_subscriptions_active",
      help: "Active GraphQL subscriptions (graphql-ws and SSE).",
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "rate_limited_total",
      help: "Requests refused by a rate limit, by rule.",
      labelNames: ["rule"] as const,
      registers: [registry],
    }),
    /** Jobs waiting to run (PENDING and due), across all instances; set on each scrape (see app.ts). */
    jobQueueDepth: new Gauge({
      name: "job_queue_depth",
      help: "Jobs waiting to run (pending and due), across all instances.",
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A small label set for paths, so metrics never grow one series per URL. */
export function routeOf(pathname: string): string {
  if (pathname === "/graphql") return "/graphql";
  if (pathname.startsWith("/files/")) return "/files";
  if (pathname === "/healthz" || pathname === "/readyz" || pathname === "/metrics" || pathname === "/auth/refresh")
    return pathname;
  if (pathname.startsWith("/peerjs")) return "/peerjs";
  return "static";
}
