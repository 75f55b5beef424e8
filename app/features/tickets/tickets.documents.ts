import { graphql } from "../../graphql/tada.ts";

export type { ResultOf, VariablesOf } from "../../graphql/tada.ts";

export const AttachmentFields = graphql(`
  fragment AttachmentFields on Attachment {
    id
    fileName
    mimeType
    size
    inline
    url
    createdAt
  }
`);

export const MessageFields = graphql(
  `
  fragment MessageFields on TicketMessage {
    id
    body
    internal
    createdAt
    author {
      id
      name
      role
    }
    attachments {
      ...AttachmentFields
    }
  }
`,
  [AttachmentFields],
);

export const TicketSummaryFields = graphql(`
  fragment TicketSummaryFields on Ticket {
    id
    reference
    subject
    status
    priority
    category
    createdAt
    updatedAt
    requester {
      id
      name
    }
    assignee {
      id
      name
    }
  }
`);

export const TicketsQuery = graphql(
  `
  query Tickets($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
    tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...TicketSummaryFields
        }
      }
    }
  }
`,
  [TicketSummaryFields],
);

export const TicketThreadQuery = graphql(
  `
  query TicketThread($id: ID!) {
    ticket(id: $id) {
      ...TicketSummaryFields
      eventCursor
      description
      firstResponseAt
      resolvedAt
      closedAt
      attachments {
        ...AttachmentFields
      }
      messages(first: 100) {
        totalCount
        edges {
          cursor
          node {
            ...MessageFields
          }
        }
      }
    }
  }
`,
  [TicketSummaryFields, AttachmentFields, MessageFields],
);

export const AgentsQuery = graphql(`
  query Agents {
    agents {
      id
      name
      role
    }
  }
`);

const TicketEventFields = graphql(
  `
  fragment TicketEventFields on TicketEvent {
    kind
    cursor
    ticketId
    ticket {
      ...TicketSummaryFields
    }
    message {
      ...MessageFields
    }
  }
`,
  [TicketSummaryFields, MessageFields],
);

export const TicketEventsSubscription = graphql(
  `
  subscription TicketEvents($ticketId: ID!, $after: String) {
    ticketEvents(ticketId: $ticketId, after: $after) {
      ...TicketEventFields
    }
  }
`,
  [TicketEventFields],
);

export const TicketFeedSubscription = graphql(
  `
  subscription TicketFeed($after: String) {
    ticketFeed(after: $after) {
      ...TicketEventFields
    }
  }
`,
  [TicketEventFields],
);

export const CreateTicketMutation = graphql(
  `
  mutation CreateTicket($input: CreateTicketInput!) {
    createTicket(input: $input) {
      __typename
      ... on Ticket {
        ...TicketSummaryFields
      }
      ... on Error {
        code
        message
      }
      ... on UploadRejectedError {
        fileName
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
  [TicketSummaryFields],
);

export const AddTicketMessageMutation = graphql(
  `
  mutation AddTicketMessage($input: AddTicketMessageInput!) {
    addTicketMessage(input: $input) {
      __typename
      ... on TicketMessage {
        ...MessageFields
      }
      ... on Error {
        code
        message
      }
      ... on UploadRejectedError {
        fileName
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
  [MessageFields],
);

export const UpdateTicketStatusMutation = graphql(
  `
  mutation UpdateTicketStatus($ticketId: ID!, $status: TicketStatus!) {
    updateTicketStatus(ticketId: $ticketId, status: $status) {
      __typename
      ... on Ticket {
        ...TicketSummaryFields
        resolvedAt
        closedAt
      }
      ... on Error {
        code
        message
      }
    }
  }
`,
  [TicketSummaryFields],
);

export const UpdateTicketPriorityMutation = graphql(
  `
  mutation UpdateTicketPriority($ticketId: ID!, $priority: TicketPriority!) {
    updateTicketPriority(ticketId: $ticketId, priority: $priority) {
      __typename
      ... on Ticket {
        ...TicketSummaryFields
      }
      ... on Error {
        code
        message
      }
    }
  }
`,
  [TicketSummaryFields],
);

export const AssignTicketMutation = graphql(
  `
  mutation AssignTicket($ticketId: ID!, $assigneeId: ID) {
    assignTicket(ticketId: $ticketId, assigneeId: $assigneeId) {
      __typename
      ... on Ticket {
        ...TicketSummaryFields
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
  [TicketSummaryFields],
);
