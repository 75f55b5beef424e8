import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Answers a WebSocket upgrade we will not take with a plain HTTP response, then closes the connection. A socket
 * closed without an answer is what a proxy counts as a failed upstream (nginx's `max_fails`): enough bad requests
 * from one client would take every instance out of rotation.
 */
export function refuseUpgrade(socket: Duplex, status: 404 | 503, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 503 ? ["Retry-After: 1"] : []),
  ];
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
}
