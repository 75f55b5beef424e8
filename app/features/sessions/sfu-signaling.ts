import type { Client } from "@urql/solid";
import type { SfuSignaling, SfuStream } from "../call/call-types.ts";
import {
  MediaAnswerMutation,
  MediaConfigureMutation,
  MediaLeaveMutation,
  MediaPublishersQuery,
  MediaPublishMutation,
  MediaStateMutation,
  MediaStatesQuery,
  MediaSubscribeMutation,
  SessionMediaSubscription,
} from "./sfu-signaling.documents.ts";

/** A refused media request: its message is the API's (typed error) or a connection problem. */
function refused(outcome: { __typename: string; message?: string } | undefined | null): never {
  throw new Error(outcome?.message ?? "The media server could not be reached. Check your connection.");
}

/** The SFU topology's signaling over the app's GraphQL client (the API brokers every request to Janus). */
export function createSfuSignaling(client: Client, sessionId: string): SfuSignaling {
  return {
    async publishers() {
      const result = await client
        .query(MediaPublishersQuery, { sessionId }, { requestPolicy: "network-only" })
        .toPromise();
      return (result.data?.mediaPublishers ?? []).map(String);
    },
    async publish(offer) {
      const outcome = (await client.mutation(MediaPublishMutation, { sessionId, offer }).toPromise()).data
        ?.mediaPublish;
      if (outcome?.__typename !== "MediaAnswer") refused(outcome);
      return outcome.sdp;
    },
    async subscribe(feeds) {
      const outcome = (await client.mutation(MediaSubscribeMutation, { sessionId, feeds }).toPromise()).data
        ?.mediaSubscribe;
      if (outcome?.__typename !== "MediaOffer") refused(outcome);
      return { sdp: outcome.sdp ?? null, streams: outcome.streams as SfuStream[] };
    },
    async answer(answer) {
      const outcome = (await client.mutation(MediaAnswerMutation, { sessionId, answer }).toPromise()).data
        ?.mediaSubscribeAnswer;
      if (!outcome || "message" in outcome) refused(outcome);
    },
    async configure(feed, options) {
      await client.mutation(MediaConfigureMutation, { sessionId, feed, ...options }).toPromise();
    },
    async state(state) {
      await client.mutation(MediaStateMutation, { sessionId, ...state }).toPromise();
    },
    async states() {
      const result = await client.query(MediaStatesQuery, { sessionId }, { requestPolicy: "network-only" }).toPromise();
      return (result.data?.mediaStates ?? []).map((state) => ({
        ...state,
        participantId: String(state.participantId),
      }));
    },
    async leave() {
      await client.mutation(MediaLeaveMutation, { sessionId }).toPromise();
    },
    events(listener) {
      const { unsubscribe } = client.subscription(SessionMediaSubscription, { sessionId }).subscribe((result) => {
        const event = result.data?.sessionMedia;
        if (event)
          listener({
            ...event,
            streams: (event.streams ?? null) as SfuStream[] | null,
            audioMuted: event.state?.audioMuted ?? null,
            videoOff: event.state?.videoOff ?? null,
            presenting: event.state?.presenting ?? null,
          });
      });
      return unsubscribe;
    },
  };
}
