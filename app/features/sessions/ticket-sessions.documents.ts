import { graphql } from "../../graphql/tada.ts";
import { SessionSummaryFields } from "./sessions.documents.ts";

/* Sessions of a ticket (ticket-sessions.tsx): the list, and a call started from the ticket. */

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
