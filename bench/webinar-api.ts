/**
 * The webinar benches' API pieces shared by the parent (bench/webinar.ts, bench/webinar-joins.ts) and the viewer
 * processes (bench/webinar-viewers.ts): kept apart from bench/lib.ts, which loads the database tooling, so a viewer
 * process stays light.
 */
import WebSocket from "ws";

export const ADMIT_ALL = `mutation($id: ID!) { admitAllParticipants(sessionId: $id) { __typename
  ... on MutationAdmitAllParticipantsSuccess { data { id } } ... on Error { message } } }`;
export const PUBLISHERS = `query($sessionId: ID!) { mediaPublishers(sessionId: $sessionId) }`;
const MEDIA_EVENTS = `subscription($id: ID!) { sessionMedia(sessionId: $id) { kind participantId } }`;

/**
 * The PWA's GraphQL socket (raw graphql-transport-ws, to keep the load generator light), opened with the participant
 * token as the PWA's is while its participant waits to be admitted: answers on connection_ack.
 */
export function openEvents(url: string, participantToken: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { participantToken } })));
    socket.on("error", reject);
    socket.on("message", (raw) => {
      if (JSON.parse(raw.toString()).type === "connection_ack") resolve(socket);
    });
  });
}

/** The sessionMedia subscription on an open socket; like the PWA's, nothing waits for it. */
export function subscribeMedia(socket: WebSocket, sessionId: string) {
  socket.send(
    JSON.stringify({ id: "1", type: "subscribe", payload: { query: MEDIA_EVENTS, variables: { id: sessionId } } }),
  );
}

/** A socket with the sessionMedia subscription started. */
export async function mediaEvents(url: string, sessionId: string, participantToken: string): Promise<WebSocket> {
  const socket = await openEvents(url, participantToken);
  subscribeMedia(socket, sessionId);
  return socket;
}
