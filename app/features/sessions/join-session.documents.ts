import { graphql } from "../../graphql/tada.ts";
import { ParticipantFields } from "./sessions.documents.ts";

/* The participant's join page (join-session-page.tsx): link info, verification, joining, leaving, reminders. */

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
  query MyParticipant($sessionId: ID!) {
    myParticipant {
      ...ParticipantFields
    }
    liveSession(id: $sessionId) {
      id
      eventCursor
    }
  }
`,
  [ParticipantFields],
);

export const LeaveSessionMutation = graphql(`
  mutation LeaveSession {
    leaveSession {
      __typename
    }
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
