import { graphql } from "../../graphql/tada.ts";
import { RosterFields } from "./sessions.documents.ts";

/* The call room (call-room.tsx): the roster and ICE servers, recording consent. */

export const RoomQuery = graphql(
  `
  query SessionRoom($id: ID!) {
    liveSession(id: $id) {
      id
      eventCursor
      title
      type
      status
      recording
      recordingEnabled
      chatEnabled
      screenShareEnabled
      topology
      mediaStandbyFrom
      participants {
        ...RosterFields
      }
    }
    iceServers {
      urls
      username
      credential
    }
  }
`,
  [RosterFields],
);

export const GiveConsentMutation = graphql(`
  mutation GiveRecordingConsent {
    giveRecordingConsent {
      id
      recordingConsent
    }
  }
`);
