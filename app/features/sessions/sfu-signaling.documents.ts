import { graphql } from "../../graphql/tada.ts";

/* The media server, brokered by the API (sfu-signaling.ts; docs/calls.md "Media server"). */

const StreamFields = graphql(`
  fragment MediaStreamFields on MediaStream {
    mid
    type
    participantId
    active
  }
`);

export const MediaPublishersQuery = graphql(`
  query MediaPublishers($sessionId: ID!) {
    mediaPublishers(sessionId: $sessionId)
  }
`);

export const MediaPublishMutation = graphql(`
  mutation MediaPublish($sessionId: ID!, $offer: String!) {
    mediaPublish(sessionId: $sessionId, offer: $offer) {
      __typename
      ... on MediaAnswer {
        sdp
      }
      ... on Error {
        message
      }
    }
  }
`);

export const MediaSubscribeMutation = graphql(
  `
  mutation MediaSubscribe($sessionId: ID!, $feeds: [ID!]!) {
    mediaSubscribe(sessionId: $sessionId, feeds: $feeds) {
      __typename
      ... on MediaOffer {
        sdp
        streams {
          ...MediaStreamFields
        }
      }
      ... on Error {
        message
      }
    }
  }
`,
  [StreamFields],
);

export const MediaAnswerMutation = graphql(`
  mutation MediaSubscribeAnswer($sessionId: ID!, $answer: String!) {
    mediaSubscribeAnswer(sessionId: $sessionId, answer: $answer) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const MediaConfigureMutation = graphql(`
  mutation MediaConfigure($sessionId: ID!, $feed: ID!, $substream: Int, $audioOnly: Boolean) {
    mediaConfigure(sessionId: $sessionId, feed: $feed, substream: $substream, audioOnly: $audioOnly) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const MediaLeaveMutation = graphql(`
  mutation MediaLeave($sessionId: ID!) {
    mediaLeave(sessionId: $sessionId)
  }
`);

const StateFields = graphql(`
  fragment MediaParticipantStateFields on MediaParticipantState {
    participantId
    audioMuted
    videoOff
    presenting
  }
`);

export const MediaStateMutation = graphql(`
  mutation MediaState($sessionId: ID!, $audioMuted: Boolean!, $videoOff: Boolean!, $presenting: Boolean) {
    mediaState(sessionId: $sessionId, audioMuted: $audioMuted, videoOff: $videoOff, presenting: $presenting) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const MediaStatesQuery = graphql(
  `
  query MediaStates($sessionId: ID!) {
    mediaStates(sessionId: $sessionId) {
      ...MediaParticipantStateFields
    }
  }
`,
  [StateFields],
);

export const SessionMediaSubscription = graphql(
  `
  subscription SessionMedia($sessionId: ID!) {
    sessionMedia(sessionId: $sessionId) {
      kind
      participantId
      sdp
      streams {
        ...MediaStreamFields
      }
      state {
        ...MediaParticipantStateFields
      }
    }
  }
`,
  [StreamFields, StateFields],
);
