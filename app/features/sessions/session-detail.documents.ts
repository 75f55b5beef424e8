import { graphql } from "../../graphql/tada.ts";
import { ParticipantFields, SessionDetailFields } from "./sessions.documents.ts";

/* A session for its host (session-detail-page.tsx): host controls and the live participant lists. */

export const HostActionsMutation = {
  cancel: graphql(
    `
    mutation CancelLiveSession($id: ID!) {
      cancelLiveSession(id: $id) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
  start: graphql(
    `
    mutation StartLiveSession($id: ID!) {
      startLiveSession(id: $id) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
  end: graphql(
    `
    mutation EndLiveSession($id: ID!) {
      endLiveSession(id: $id) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
  rotate: graphql(
    `
    mutation RotateSessionLink($id: ID!) {
      rotateSessionLink(id: $id) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
  lock: graphql(
    `
    mutation SetSessionLocked($id: ID!, $locked: Boolean!) {
      setSessionLocked(id: $id, locked: $locked) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
  recording: graphql(
    `
    mutation SetSessionRecording($id: ID!, $recording: Boolean!) {
      setSessionRecording(id: $id, recording: $recording) {
        __typename
        ... on LiveSession {
          ...SessionDetailFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [SessionDetailFields],
  ),
};

export const ParticipantActions = {
  admit: graphql(
    `
    mutation AdmitParticipant($participantId: ID!) {
      admitParticipant(participantId: $participantId) {
        __typename
        ... on SessionParticipant {
          ...ParticipantFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
  deny: graphql(
    `
    mutation DenyParticipant($participantId: ID!) {
      denyParticipant(participantId: $participantId) {
        __typename
        ... on SessionParticipant {
          ...ParticipantFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
  remove: graphql(
    `
    mutation RemoveParticipant($participantId: ID!) {
      removeParticipant(participantId: $participantId) {
        __typename
        ... on SessionParticipant {
          ...ParticipantFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
  role: graphql(
    `
    mutation SetParticipantRole($participantId: ID!, $role: ParticipantRole!) {
      setParticipantRole(participantId: $participantId, role: $role) {
        __typename
        ... on SessionParticipant {
          ...ParticipantFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
  admitAll: graphql(
    `
    mutation AdmitAllParticipants($sessionId: ID!) {
      admitAllParticipants(sessionId: $sessionId) {
        __typename
        ... on MutationAdmitAllParticipantsSuccess {
          data {
            ...ParticipantFields
          }
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
  denyAll: graphql(
    `
    mutation DenyAllParticipants($sessionId: ID!) {
      denyAllParticipants(sessionId: $sessionId) {
        __typename
        ... on MutationDenyAllParticipantsSuccess {
          data {
            ...ParticipantFields
          }
        }
        ... on Error {
          message
        }
      }
    }
  `,
    [ParticipantFields],
  ),
};

export const ParticipantEventsSubscription = graphql(
  `
  subscription SessionParticipantEvents($sessionId: ID!, $after: String) {
    sessionParticipantEvents(sessionId: $sessionId, after: $after) {
      kind
      cursor
      participantId
      participant {
        ...ParticipantFields
      }
    }
  }
`,
  [ParticipantFields],
);

export const WaitingRoomSubscription = graphql(
  `
  subscription SessionWaitingRoom($sessionId: ID!, $after: String) {
    sessionWaitingRoom(sessionId: $sessionId, after: $after) {
      kind
      cursor
      waiting {
        ...ParticipantFields
      }
    }
  }
`,
  [ParticipantFields],
);
