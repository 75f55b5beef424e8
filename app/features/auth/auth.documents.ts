import { graphql } from "../../graphql/tada.ts";

export type { ResultOf, VariablesOf } from "../../graphql/tada.ts";

export const ViewerFields = graphql(`
  fragment ViewerFields on User {
    id
    name
    email
    role
    createdAt
  }
`);

export const AuthPayloadFields = graphql(
  `
  fragment AuthPayloadFields on AuthPayload {
    accessToken
    accessTokenExpiresAt
    user {
      ...ViewerFields
    }
  }
`,
  [ViewerFields],
);

export const SignUpMutation = graphql(
  `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on AuthPayload {
        ...AuthPayloadFields
      }
      ... on Error {
        code
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
  [AuthPayloadFields],
);

export const LogInMutation = graphql(
  `
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on AuthPayload {
        ...AuthPayloadFields
      }
      ... on Error {
        code
        message
      }
      ... on RateLimitedError {
        retryAfterSeconds
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
  [AuthPayloadFields],
);

/** Trades a refresh token stored by an earlier version of the app; the answer sets the refresh cookie. */
export const RefreshSessionMutation = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      __typename
    }
  }
`);

export const LogOutMutation = graphql(`
  mutation LogOut {
    logOut
  }
`);

export const MeQuery = graphql(
  `
  query Me {
    me {
      ...ViewerFields
    }
  }
`,
  [ViewerFields],
);

const PreferenceFields = graphql(`
  fragment PreferenceFields on NotificationPreferences {
    ticketCreated
    ticketReply
    ticketResolved
    ticketAssigned
    ticketCustomerMessage
  }
`);

export const NotificationPreferencesQuery = graphql(
  `
  query NotificationPreferences {
    me {
      id
      notificationPreferences {
        ...PreferenceFields
      }
    }
  }
`,
  [PreferenceFields],
);

export const UpdateNotificationPreferencesMutation = graphql(
  `
  mutation UpdateNotificationPreferences($input: NotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) {
      __typename
      ... on NotificationPreferences {
        ...PreferenceFields
      }
      ... on Error {
        code
        message
      }
    }
  }
`,
  [PreferenceFields],
);
