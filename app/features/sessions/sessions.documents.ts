import { graphql } from "../../graphql/tada.ts";

export type { ResultOf, VariablesOf } from "../../graphql/tada.ts";

/* Fragments and documents shared by several session screens; each screen's own documents sit beside it. */

export const ParticipantFields = graphql(`
  fragment ParticipantFields on SessionParticipant {
    id
    sessionId
    name
    email
    role
    status
    peerId
    recordingConsent
    joinedAt
    admittedAt
    leftAt
    handRaisedAt
  }
`);

/** What every admitted participant may see about the others (no email). */
export const RosterFields = graphql(`
  fragment RosterFields on SessionParticipant {
    id
    sessionId
    name
    role
    status
    peerId
    recordingConsent
    handRaisedAt
  }
`);

export const SessionSummaryFields = graphql(`
  fragment SessionSummaryFields on LiveSession {
    id
    publicId
    title
    type
    status
    scheduledStartAt
    scheduledEndAt
    admittedCount
    maxParticipants
  }
`);

export const SessionDetailFields = graphql(
  `
  fragment SessionDetailFields on LiveSession {
    ...SessionSummaryFields
    description
    agenda
    actualStartAt
    actualEndAt
    joinUrl
    accessToken
    locked
    recording
    recordingEnabled
    mediaNotice
    chatEnabled
    screenShareEnabled
    waitingRoom
    requiresApproval
    hasPassword
    emailVerificationRequired
    allowedEmailDomains
    reminderOffsets
    roomId
    ticket {
      id
      reference
      subject
    }
    host {
      id
      name
    }
    invites {
      id
      name
      email
    }
  }
`,
  [SessionSummaryFields],
);

export const LiveSessionQuery = graphql(
  `
  query LiveSession($id: ID!) {
    liveSession(id: $id) {
      ...SessionDetailFields
      eventCursor
      participants {
        ...ParticipantFields
      }
      waitingList {
        ...ParticipantFields
      }
    }
  }
`,
  [SessionDetailFields, ParticipantFields],
);

export const RosterEventsSubscription = graphql(
  `
  subscription SessionRosterEvents($sessionId: ID!, $after: String) {
    sessionParticipantEvents(sessionId: $sessionId, after: $after) {
      kind
      cursor
      participantId
      participant {
        ...RosterFields
      }
    }
  }
`,
  [RosterFields],
);

export const SessionStateSubscription = graphql(`
  subscription SessionState($sessionId: ID!, $after: String) {
    sessionState(sessionId: $sessionId, after: $after) {
      kind
      cursor
      sessionId
      session {
        id
        status
        locked
        recording
        topology
      }
    }
  }
`);
