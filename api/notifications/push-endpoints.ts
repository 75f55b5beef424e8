import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIPv6, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { DomainError } from "../errors.ts";

/**
 * A push endpoint the server will not post to: its host is not on the public internet. Push services are public;
 * anything else would let a client make the server send requests into its own network (blind SSRF).
 */
export class PushEndpointRefusedError extends DomainError {
  override readonly code = "PUSH_ENDPOINT_REFUSED";
  constructor(readonly reason: string) {
    super(`This push endpoint is refused: ${reason}`);
  }
}

/** Every address a host name resolves to (node:dns `lookup` with `all: true`, which reads /etc/hosts too). */
export type AddressLookup = (hostname: string) => Promise<{ address: string }[]>;

const systemLookup: AddressLookup = (hostname) => lookup(hostname, { all: true });

/**
 * Only globally routable unicast addresses. ipaddr.js names every special-purpose range otherwise: loopback,
 * private, linkLocal (cloud metadata at 169.254.169.254), carrierGradeNat, uniqueLocal (fd00:ec2::254),
 * unspecified, reserved, and the IPv6 forms that can carry a private IPv4 (6to4, Teredo, NAT64). An IPv4-mapped
 * IPv6 address is judged as the IPv4 address it maps.
 */
export function isPublicAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === "unicast";
}

export interface PushEndpointPolicy {
  /** PUSH_ALLOW_PRIVATE_HOSTS: any host is accepted, unresolved (a push service on the local network, tests). */
  allowPrivateHosts: boolean;
  lookup?: AddressLookup;
}

/**
 * Why the server must not post to `endpoint`, or null when it may. Every address the host resolves to must be
 * public, since a connection may use any of them.
 */
export async function pushEndpointRefusal(endpoint: string, policy: PushEndpointPolicy): Promise<string | null> {
  if (policy.allowPrivateHosts) return null;
  let hostname: string;
  try {
    hostname = new URL(endpoint).hostname;
  } catch {
    return "not a URL";
  }
  const literal = hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (ipaddr.isValid(literal)) {
    addresses = [literal];
  } else {
    try {
      addresses = (await (policy.lookup ?? systemLookup)(hostname)).map((entry) => entry.address);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) return `${hostname} does not resolve`;
  }
  const internal = addresses.find((address) => !isPublicAddress(address));
  return internal ? `${hostname} is not a public host (${internal})` : null;
}

/**
 * The `lookup` the connection to a push service uses: it resolves the name once more and hands over only
 * public addresses, so the addresses checked are the ones connected to. A name that answers a public address
 * to the check and a private one a moment later (DNS rebinding) gains nothing.
 */
function publicAddressesOnly(resolve: AddressLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (entries) => {
        const internal = entries.find((entry) => !isPublicAddress(entry.address));
        if (internal || entries.length === 0) {
          const reason = internal ? `is not a public host (${internal.address})` : "does not resolve";
          callback(new PushEndpointRefusedError(`${hostname} ${reason}`), "");
          return;
        }
        const addresses = entries.map((entry) => ({ address: entry.address, family: isIPv6(entry.address) ? 6 : 4 }));
        const [first] = addresses;
        if (options.all || !first) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

/**
 * POSTs one message to a push service and answers the HTTP status. Unless private hosts are allowed, the
 * connection goes only to public addresses (see publicAddressesOnly); an IP literal is connected to as it is,
 * so check the endpoint with pushEndpointRefusal first.
 */
export function postToPushService(
  endpoint: string,
  message: { headers: Record<string, string>; body: Buffer | null; timeoutMs: number },
  policy: PushEndpointPolicy,
): Promise<number> {
  const url = new URL(endpoint);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: "POST",
        headers: message.headers,
        signal: AbortSignal.timeout(message.timeoutMs),
        ...(policy.allowPrivateHosts ? {} : { lookup: publicAddressesOnly(policy.lookup ?? systemLookup) }),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        // The status is all we need; the body is read and dropped so the connection can be reused.
        response.resume();
      },
    );
    request.on("error", reject);
    request.end(message.body ?? undefined);
  });
}
