import { graphql } from "../../graphql/tada.ts";
import { SessionSummaryFields } from "./sessions.documents.ts";

/* The sessions dashboard (sessions-page.tsx). */

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
