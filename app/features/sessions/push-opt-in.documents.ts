import { graphql } from "../../graphql/tada.ts";

/* Web-push reminders for a signed-in user (push-opt-in.tsx). */

export const VapidKeyQuery = graphql(`
  query VapidPublicKey {
    vapidPublicKey
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
