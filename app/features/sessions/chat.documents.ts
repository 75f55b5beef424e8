import { graphql } from "../../graphql/tada.ts";

/* Session chat (chat-panel.tsx). */

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
  subscription SessionChat($sessionId: ID!, $after: String) {
    sessionChat(sessionId: $sessionId, after: $after) {
      cursor
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
