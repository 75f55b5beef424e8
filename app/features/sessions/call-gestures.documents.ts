import { graphql } from "../../graphql/tada.ts";

/*
 * Hands, reactions and the host's microphone requests in a call (call-gestures.ts). A refused hand or reaction shows
 * nothing (the call goes on); the host's actions show their refusal in the sheet.
 */

export const SessionGesturesSubscription = graphql(`
  subscription SessionGestures($sessionId: ID!) {
    sessionGestures(sessionId: $sessionId) {
      kind
      participantId
      emoji
      at
      participant {
        id
        handRaisedAt
      }
    }
  }
`);

export const SetHandRaisedMutation = graphql(`
  mutation SetHandRaised($sessionId: ID!, $raised: Boolean!) {
    setHandRaised(sessionId: $sessionId, raised: $raised) {
      ... on SessionParticipant {
        id
        handRaisedAt
      }
    }
  }
`);

export const SendReactionMutation = graphql(`
  mutation SendSessionReaction($sessionId: ID!, $emoji: String!) {
    sendSessionReaction(sessionId: $sessionId, emoji: $emoji) {
      __typename
    }
  }
`);

export const LowerHandMutation = graphql(`
  mutation LowerParticipantHand($participantId: ID!) {
    lowerParticipantHand(participantId: $participantId) {
      __typename
      ... on SessionParticipant {
        id
        handRaisedAt
      }
      ... on Error {
        message
      }
    }
  }
`);

export const RequestMicMutation = graphql(`
  mutation RequestParticipantMic($participantId: ID!, $request: MicRequest!) {
    requestParticipantMic(participantId: $participantId, request: $request) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);
