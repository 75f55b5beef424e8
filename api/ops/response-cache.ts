import { createHash } from "node:crypto";
import type { BuildResponseCacheKeyFunction } from "@envelop/response-cache";
import { type Cache, createInMemoryCache, useResponseCache } from "@graphql-yoga/plugin-response-cache";
import stableStringify from "fast-json-stable-stringify";
import type { GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * Query fields whose answers may come from the cache: the ticket lists agents and customers keep open and
 * refetch. An operation that selects any other root field is executed every time.
 */
const CACHED_QUERY_FIELDS = new Set(["tickets"]);
/** Responses kept per instance (viewer × query × variables); the least recently used go first. */
const MAX_RESPONSES = 5_000;
/** The plugin marks answers it served from the cache with this symbol. */
const SERVED_FROM_CACHE = Symbol.for("servedFromResponseCache");

export interface TicketListCacheOptions {
  schema: GraphQLSchema;
  /** Longest a cached answer is served; ticket events clear the cache long before in normal operation. */
  ttlMs: number;
  /**
   * Who is asking, checked before the cache is consulted (so a revoked token never reads a cached answer):
   * a key shared by requests that must see the same answer (the user and role), or null for anonymous.
   */
  viewerKey(request: Request): Promise<string | null>;
  onHit?(): void;
}

/**
 * A per-viewer response cache for ticket lists (graphql-yoga's response-cache plugin), cleared whenever a ticket
 * changes. A list's membership and order depend on every ticket (a new message moves a ticket to the top), so
 * any ticket event clears every cached list; `clear()` is wired to the `ticketFeed` events, which reach every
 * instance. Mutations still invalidate what they return (the plugin's default), e.g. an assignee's new role.
 *
 * An answer computed while a ticket changed is not stored: each request notes the cache generation when it
 * starts, and `set` drops results of requests that started before the latest clear.
 */
export function ticketListCache(options: TicketListCacheOptions): { plugin: Plugin; clear(): void } {
  // Off (a TTL of 0): no plugin at all, so requests pay nothing for it.
  if (options.ttlMs <= 0) return { plugin: {}, clear: () => {} };
  let responses = createInMemoryCache({ max: MAX_RESPONSES });
  let generation = 0;
  /** Generation at which the oldest request still running for a key started. */
  const startedAt = new Map<string, number>();
  const cache: Cache = {
    get: (key) => responses.get(key),
    set(key, result, entities, ttl) {
      const started = startedAt.get(key);
      startedAt.delete(key);
      if (started !== generation) return;
      return responses.set(key, result, entities, ttl);
    },
    invalidate: (entities) => responses.invalidate(entities),
  };
  const queryFields = Object.keys(options.schema.getQueryType()?.getFields() ?? {});
  const ttlPerSchemaCoordinate = Object.fromEntries(
    queryFields.map((field) => [`Query.${field}`, CACHED_QUERY_FIELDS.has(field) ? options.ttlMs : 0]),
  );
  const plugin = useResponseCache({
    cache,
    // Nothing is cached unless every root field it selects allows it (the smallest TTL wins).
    ttl: 0,
    ttlPerSchemaCoordinate,
    includeExtensionMetadata: false,
    // Participants' answers depend on their session token; they are never cached.
    enabled: (request) => !request.headers.has("x-participant-token"),
    session: (request) => options.viewerKey(request),
    async buildResponseCacheKey(params) {
      const key = responseCacheKey(params);
      // Noted on a miss only (a hit stores nothing); the oldest request still running for the key counts.
      if (!startedAt.has(key) && !(await responses.get(key))) {
        if (startedAt.size >= MAX_RESPONSES) startedAt.clear();
        startedAt.set(key, generation);
      }
      return key;
    },
  });
  const hits: Plugin = {
    onResultProcess({ result }) {
      if (result && typeof result === "object" && SERVED_FROM_CACHE in result) options.onHit?.();
    },
  };
  return {
    plugin: {
      onPluginInit({ addPlugin }) {
        addPlugin(plugin);
        addPlugin(hits);
      },
    },
    clear,
  };

  function clear() {
    generation += 1;
    responses = createInMemoryCache({ max: MAX_RESPONSES });
  }
}

/**
 * @envelop/response-cache's own key (its defaultBuildResponseCacheKey: SHA-256 of the document, operation name,
 * stable JSON of the variables and the session), hashed with node:crypto at once instead of WebCrypto's
 * asynchronous digest, whose job dispatch showed in the profile of cached inbox requests.
 */
export function responseCacheKey(params: Parameters<BuildResponseCacheKeyFunction>[0]): string {
  const parts = [
    params.documentString,
    params.operationName ?? "",
    stableStringify(params.variableValues ?? {}),
    params.sessionId ?? "",
  ];
  return createHash("sha256").update(parts.join("|")).digest("hex");
}
