import { graphql } from "../../graphql/tada.ts";

export type { ResultOf, VariablesOf } from "../../graphql/tada.ts";

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
  }
`);

export const RosterEventsSubscription = graphql(
  `
  subscription SessionRosterEvents($sessionId: ID!) {
    sessionParticipantEvents(sessionId: $sessionId) {
      kind
      participantId
      participant {
        ...RosterFields
      }
    }
  }
`,
  [RosterFields],
);

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

export const LiveSessionsQuery = graphql(
  `
  query LiveSessions($filter: LiveSessionFilter, $first: Int, $after: String) {
    liveSessions(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...SessionSummaryFields
        }
      }
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

export const CreateLiveSessionMutation = graphql(
  `
  mutation CreateLiveSession($input: CreateLiveSessionInput!) {
    createLiveSession(input: $input) {
      __typename
      ... on LiveSession {
        ...SessionDetailFields
      }
      ... on Error {
      message
      }
      ... on ValidationError {
      fieldErrors {
      path
      message
      }
      }
    }
  }
`,
  [SessionDetailFields],
);

export const UpdateLiveSessionMutation = graphql(
  `
  mutation UpdateLiveSession($id: ID!, $input: UpdateLiveSessionInput!) {
    updateLiveSession(id: $id, input: $input) {
      __typename
      ... on LiveSession {
        ...SessionDetailFields
      }
      ... on Error {
      message
      }
      ... on ValidationError {
      fieldErrors {
      path
      message
      }
      }
    }
  }
`,
  [SessionDetailFields],
);

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
  subscription SessionParticipantEvents($sessionId: ID!) {
    sessionParticipantEvents(sessionId: $sessionId) {
      kind
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
  subscription SessionWaitingRoom($sessionId: ID!) {
    sessionWaitingRoom(sessionId: $sessionId) {
      kind
      waiting {
        ...ParticipantFields
      }
    }
  }
`,
  [ParticipantFields],
);

export const SessionStateSubscription = graphql(`
  subscription SessionState($sessionId: ID!) {
    sessionState(sessionId: $sessionId) {
      kind
      sessionId
      session {
        id
        status
        locked
        recording
      }
    }
  }
`);

export const ChatMessageFields = graphql(`
  fragment ChatMessageFields on SessionChatMessage {
    id
    body
    createdAt
    author {
      id
      name
      role
    }
  }
`);

export const ChatHistoryQuery = graphql(
  `
  query SessionChatHistory($id: ID!) {
    liveSession(id: $id) {
      id
      chatEnabled
      chatMessages(last: 100) {
        edges {
          node {
            ...ChatMessageFields
          }
        }
      }
    }
  }
`,
  [ChatMessageFields],
);

export const ChatSubscription = graphql(
  `
  subscription SessionChat($sessionId: ID!) {
    sessionChat(sessionId: $sessionId) {
      message {
        ...ChatMessageFields
      }
    }
  }
`,
  [ChatMessageFields],
);

export const SendChatMutation = graphql(
  `
  mutation SendSessionChatMessage($sessionId: ID!, $body: String!) {
    sendSessionChatMessage(sessionId: $sessionId, body: $body) {
      __typename
      ... on SessionChatMessage {
        ...ChatMessageFields
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on Error {
      message
      }
      ... on ValidationError {
      fieldErrors {
      path
      message
      }
      }
    }
  }
`,
  [ChatMessageFields],
);

export const SessionAnalyticsQuery = graphql(`
  query SessionAnalytics($sessionId: ID!) {
    sessionAnalytics(sessionId: $sessionId) {
      sessionId
      actualStartAt
      actualEndAt
      durationSeconds
      totalParticipants
      peakConcurrent
      chatMessageCount
      invitedCount
      attendedInviteCount
      recording
      participants {
        participantId
        name
        email
        role
        status
        totalSeconds
        firstJoinedAt
        visits {
          joinedAt
          leftAt
        }
      }
    }
  }
`);

export const AnalyticsSummaryQuery = graphql(`
  query SessionAnalyticsSummary($from: DateTime!, $to: DateTime!) {
    sessionAnalyticsSummary(from: $from, to: $to) {
      from
      to
      sessionsHeld
      totalParticipants
      averageDurationSeconds
      invitedCount
      attendedInviteCount
      attendanceRate
    }
  }
`);

export const SessionByLinkQuery = graphql(`
  query SessionByLink($token: String!) {
    sessionByLink(token: $token) {
      publicId
      title
      type
      status
      description
      hostName
      scheduledStartAt
      scheduledEndAt
      requiresPassword
      emailVerificationRequired
      allowedEmailDomains
      waitingRoom
      locked
      recording
      maxParticipants
      participantCount
    }
  }
`);

export const RequestVerificationCodeMutation = graphql(`
  mutation RequestSessionVerificationCode($token: String!, $email: String!) {
    requestSessionVerificationCode(token: $token, email: $email) {
      __typename
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on Error {
        message
      }
      ... on ValidationError {
        fieldErrors {
          path
          message
        }
      }
    }
  }
`);

export const JoinSessionMutation = graphql(
  `
  mutation JoinSession($input: JoinSessionInput!) {
    joinSession(input: $input) {
      __typename
      ... on JoinSessionPayload {
        participantToken
        participant {
          ...ParticipantFields
        }
        session {
          id
          title
          status
          recording
          chatEnabled
          screenShareEnabled
          type
        }
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on SessionFullError {
        maxParticipants
      }
      ... on EmailDomainNotAllowedError {
        allowedDomains
      }
      ... on InvalidVerificationCodeError {
        attemptsLeft
      }
      ... on ParticipantRemovedError {
        reason
      }
      ... on SessionEndedError {
        status
      }
      ... on Error {
      message
      }
      ... on ValidationError {
      fieldErrors {
      path
      message
      }
      }
    }
  }
`,
  [ParticipantFields],
);

export const MyParticipantQuery = graphql(
  `
  query MyParticipant {
    myParticipant {
      ...ParticipantFields
    }
  }
`,
  [ParticipantFields],
);

export const RoomQuery = graphql(
  `
  query SessionRoom($id: ID!) {
    liveSession(id: $id) {
      id
      title
      type
      status
      recording
      recordingEnabled
      chatEnabled
      screenShareEnabled
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

export const LeaveSessionMutation = graphql(`
  mutation LeaveSession {
    leaveSession {
      __typename
    }
  }
`);

export const GiveConsentMutation = graphql(`
  mutation GiveRecordingConsent {
    giveRecordingConsent {
      id
      recordingConsent
    }
  }
`);

export const StartCallFromTicketMutation = graphql(
  `
  mutation StartCallFromTicket($ticketId: ID!) {
    startCallFromTicket(ticketId: $ticketId) {
      __typename
      ... on LiveSession {
        ...SessionSummaryFields
        joinUrl
      }
      ... on Error {
        message
      }
    }
  }
`,
  [SessionSummaryFields],
);

export const TicketSessionsQuery = graphql(
  `
  query TicketSessions($id: ID!) {
    ticket(id: $id) {
      id
      sessions {
        ...SessionSummaryFields
      }
    }
  }
`,
  [SessionSummaryFields],
);

export const VapidKeyQuery = graphql(`
  query VapidPublicKey {
    vapidPublicKey
  }
`);

export const RegisterSessionPushMutation = graphql(`
  mutation RegisterSessionPushSubscription($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
    registerSessionPushSubscription(endpoint: $endpoint, keys: $keys) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const RegisterPushMutation = graphql(`
  mutation RegisterPushSubscription($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
    registerPushSubscription(endpoint: $endpoint, keys: $keys) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);
