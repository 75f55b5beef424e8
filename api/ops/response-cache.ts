import { createHash } from "node:crypto";
import type { BuildResponseCacheKeyFunction } from "@envelop/response-cache";
import { type Cache, createInMemoryCache, useResponseCache } from "@graphql-yoga/plugin-response-cache";
import stableStringify from "fast-json-stable-stringify";
import { type ExecutionResult, type GraphQLSchema, getOperationAST, Kind, parse } from "graphql";
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
  /**
   * Requests the cache must not see: operations over graphql-ws, which skip yoga's HTTP handling that the plugin
   * keys on (it would fail the operation).
   */
  bypass?(request: Request): boolean;
}

/**
 * A per-viewer response cache for ticket lists (graphql-yoga's response-cache plugin), cleared whenever a ticket
 * changes. A list's membership and order depend on every ticket (a new message moves a ticket to the top), so
 * any ticket event clears every cached list; `clear()` is wired to the `ticketFeed` events, which reach every
 * instance. Mutations still invalidate what they return (the plugin's default), e.g. an assignee's new role.
 *
 * Each cached answer is serialized once (see stringifyOnce). Concurrent misses for the same list share one
 * execution: the first request runs it, the others wait for its answer (a clear, or 50 agents' refetch at a TTL
 * expiry, would otherwise run the same query 50 times at once).
 * An answer computed while a ticket changed is neither stored nor shared: a clear ends every execution's claim
 * on its key, and `set` stores only the answer of the request that holds the key's current claim.
 */
export function ticketListCache(options: TicketListCacheOptions): { plugin: Plugin; clear(): void } {
  // Off (a TTL of 0): no plugin at all, so requests pay nothing for it.
  if (options.ttlMs <= 0) return { plugin: {}, clear: () => {} };
  let responses = createInMemoryCache({ max: MAX_RESPONSES });
  /** The request executing each missing key since the last clear, with the answer its followers wait for. */
  const flights = new Map<string, Flight>();
  /** The key each request claimed, so its end can free the claim without a search. */
  const claimedKeys = new WeakMap<Request, string>();
  /**
   * Who calls `get` and `set`: the plugin calls them right after (in the same tick as) our key builder and its
   * `onTtl` hook, which both know the request; these hand it over.
   */
  let asking: { request: Request; shared: boolean } | null = null;
  let storing: Request | null = null;

  const land = (key: string, flight: Flight, result: ExecutionResult | undefined) => {
    if (flights.get(key) === flight) flights.delete(key);
    clearTimeout(flight.timer);
    flight.land(result);
  };
  const cache: Cache = {
    get(key) {
      const caller = asking;
      asking = null;
      const hit = responses.get(key) as ExecutionResult | undefined;
      // The plugin asks again before executing a miss; only its first question (with the caller) claims or waits.
      if (hit || !caller) return hit;
      const flight = flights.get(key);
      if (flight) return caller.shared && flight.shared ? flight.answer : undefined;
      let landed!: (result: ExecutionResult | undefined) => void;
      const answer = new Promise<ExecutionResult | undefined>((resolve) => {
        landed = resolve;
      });
      const claim: Flight = { owner: caller.request, shared: caller.shared, answer, land: landed };
      // An execution that never reports (it threw before the plugin saw a result) frees its followers.
      claim.timer = setTimeout(() => land(key, claim, undefined), FLIGHT_TIMEOUT_MS);
      claim.timer.unref?.();
      flights.set(key, claim);
      claimedKeys.set(caller.request, key);
      return undefined;
    },
    set(key, result, entities, ttl) {
      const owner = storing;
      storing = null;
      const flight = flights.get(key);
      if (!flight || flight.owner !== owner) return;
      // yoga serializes a result with its own `stringify` when it has one: each cached answer is serialized once.
      (result as { stringify?: (value: ExecutionResult) => string }).stringify = stringifyOnce;
      const stored = responses.set(key, result, entities, ttl);
      land(key, flight, result as ExecutionResult);
      return stored;
    },
    invalidate: (entities) => responses.invalidate(entities),
  };
  const queryFields = Object.keys(options.schema.getQueryType()?.getFields() ?? {});
  const ttlPerSchemaCoordinate = Object.fromEntries(
    queryFields.map((field) => [`Query.${field}`, CACHED_QUERY_FIELDS.has(field) ? options.ttlMs : 0]),
  );
  // Participants' answers depend on their session token; they are never cached.
  const enabled = (request: Request) => !request.headers.has("x-participant-token") && !options.bypass?.(request);
  const plugin = useResponseCache({
    cache,
    // Nothing is cached unless every root field it selects allows it (the smallest TTL wins).
    ttl: 0,
    ttlPerSchemaCoordinate,
    includeExtensionMetadata: false,
    enabled,
    session: (request) => options.viewerKey(request),
    buildResponseCacheKey(params) {
      const key = responseCacheKey(params);
      // The plugin asks the cache right after this when it is enabled for the request (and only then).
      if (params.request && enabled(params.request))
        asking = { request: params.request, shared: selectsOnlyCachedFields(params) };
      return key;
    },
    onTtl({ ttl, context }) {
      storing = (context as { request?: Request }).request ?? null;
      return ttl;
    },
  });
  const hooks: Plugin = {
    onResultProcess({ result }) {
      if (result && typeof result === "object" && SERVED_FROM_CACHE in result) options.onHit?.();
    },
    // A request that claimed a key and did not store an answer (not cacheable, or an error) frees its followers.
    onResponse({ request }) {
      const key = claimedKeys.get(request);
      const flight = key === undefined ? undefined : flights.get(key);
      if (key !== undefined && flight?.owner === request) land(key, flight, undefined);
    },
  };
  return {
    plugin: {
      onPluginInit({ addPlugin }) {
        addPlugin(plugin);
        addPlugin(hooks);
      },
    },
    clear,
  };

  function clear() {
    responses = createInMemoryCache({ max: MAX_RESPONSES });
    // Executions running now started before the change: their answers are neither stored nor shared.
    for (const [key, flight] of flights) land(key, flight, undefined);
  }
}

interface Flight {
  owner: Request;
  /** Whether others may wait for this answer: only lists are worth waiting for. */
  shared: boolean;
  answer: Promise<ExecutionResult | undefined>;
  land(result: ExecutionResult | undefined): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** The JSON of cached answers, by their `data` (shared by every hit on the answer; immutable once cached). */
const serialized = new WeakMap<object, string>();

/**
 * Serializes a cached answer the first time it is sent and reuses the text for every later hit: serializing the
 * same 25 tickets for each request was the top frame of the cached inbox's profile.
 */
function stringifyOnce(value: ExecutionResult): string {
  const { data } = value;
  if (!data || value.errors) return JSON.stringify(value);
  let text = serialized.get(data);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialized.set(data, text);
  }
  return text;
}

/** Followers stop waiting for an execution after this long and run their own. */
const FLIGHT_TIMEOUT_MS = 10_000;

/** Documents checked for `selectsOnlyCachedFields`, by text (bounded; the app sends a handful). */
const cachedOnlyByDocument = new Map<string, boolean>();

/** True when the operation is a query whose root selections are all cached fields (what the TTLs cache). */
function selectsOnlyCachedFields(params: { documentString: string; operationName?: string | null }): boolean {
  const memoKey = `${params.operationName ?? ""}|${params.documentString}`;
  let answer = cachedOnlyByDocument.get(memoKey);
  if (answer === undefined) {
    answer = false;
    try {
      const operation = getOperationAST(parse(params.documentString), params.operationName);
      answer =
        operation?.operation === "query" &&
        operation.selectionSet.selections.every(
          (selection) =>
            selection.kind === Kind.FIELD &&
            (selection.name.value === "__typename" || CACHED_QUERY_FIELDS.has(selection.name.value)),
        );
    } catch {
      // Not a valid document: the request fails on its own.
    }
    if (cachedOnlyByDocument.size >= 1_000) cachedOnlyByDocument.clear();
    cachedOnlyByDocument.set(memoKey, answer);
  }
  return answer;
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
