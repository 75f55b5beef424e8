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

/** The PWA's sessionMedia subscription (raw graphql-transport-ws, to keep the load generator light): answers on connection_ack. */
export function mediaEvents(url: string, sessionId: string, participantToken: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { participantToken } })));
    socket.on("error", reject);
    socket.on("message", (raw) => {
      if (JSON.parse(raw.toString()).type !== "connection_ack") return;
      socket.send(
        JSON.stringify({ id: "1", type: "subscribe", payload: { query: MEDIA_EVENTS, variables: { id: sessionId } } }),
      );
      resolve(socket);
    });
  });
}
