import { graphql } from "../../graphql/tada.ts";
import { SessionDetailFields } from "./sessions.documents.ts";

/* Scheduling and editing a session (session-form-page.tsx); an edit loads the session with LiveSessionQuery. */

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

export const CallCapacityQuery = graphql(`
  query CallCapacity {
    callCapacity {
      mediaServer
      meshSize
      meetingSeats
      webinarAudience
      sfuFrom
    }
  }
`);
