import { graphql } from "../../graphql/tada.ts";
import { AuthPayloadFields } from "../auth/auth.documents.ts";

export type { ResultOf, VariablesOf } from "../../graphql/tada.ts";

export const MemberFields = graphql(`
  fragment MemberFields on User {
    id
    name
    email
    role
    status
    lastActiveAt
    createdAt
  }
`);

export const InvitationFields = graphql(`
  fragment InvitationFields on TeamInvitation {
    id
    email
    name
    role
    sentAt
    expiresAt
    expired
    invitedBy {
      id
      name
    }
  }
`);

export const TeamQuery = graphql(
  `
  query Team($audience: TeamAudience!, $search: String, $first: Int!, $after: String, $withInvitations: Boolean!) {
    team {
      invitationsSent
      invitations(search: $search) @include(if: $withInvitations) {
        ...InvitationFields
      }
      members(audience: $audience, search: $search, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            ...MemberFields
          }
        }
      }
    }
  }
`,
  [MemberFields, InvitationFields],
);

export const TeamMemberQuery = graphql(
  `
  query TeamMember($id: ID!) {
    team {
      member(id: $id) {
        ...MemberFields
        deactivatedAt
        openAssignedTickets
      }
    }
    agents {
      id
      name
    }
  }
`,
  [MemberFields],
);

export const InviteUserMutation = graphql(
  `
  mutation InviteUser($input: InviteUserInput!) {
    inviteUser(input: $input) {
      __typename
      ... on Invitation {
        invitation {
          ...InvitationFields
        }
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
  [InvitationFields],
);

export const ResendInvitationMutation = graphql(
  `
  mutation ResendInvitation($id: ID!) {
    resendInvitation(id: $id) {
      __typename
      ... on Invitation {
        invitation {
          ...InvitationFields
        }
      }
      ... on Error {
        message
      }
    }
  }
`,
  [InvitationFields],
);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) {
      __typename
      ... on TeamInvitation {
        id
        revokedAt
      }
      ... on Error {
        message
      }
    }
  }
`);

export const SetUserRoleMutation = graphql(
  `
  mutation SetUserRole($id: ID!, $role: Role!) {
    setUserRole(userId: $id, role: $role) {
      __typename
      ... on User {
        ...MemberFields
      }
      ... on Error {
        message
      }
    }
  }
`,
  [MemberFields],
);

export const DeactivateUserMutation = graphql(
  `
  mutation DeactivateUser($input: DeactivateUserInput!) {
    deactivateUser(input: $input) {
      __typename
      ... on DeactivateUserResult {
        movedTickets
        user {
          ...MemberFields
          deactivatedAt
          openAssignedTickets
        }
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
  [MemberFields],
);

export const ReactivateUserMutation = graphql(
  `
  mutation ReactivateUser($id: ID!) {
    reactivateUser(userId: $id) {
      __typename
      ... on User {
        ...MemberFields
        deactivatedAt
      }
      ... on Error {
        message
      }
    }
  }
`,
  [MemberFields],
);

export const InvitationPreviewQuery = graphql(`
  query InvitationPreview($token: String!) {
    invitationPreview(token: $token) {
      email
      name
      role
      expiresAt
      invitedBy
    }
  }
`);

export const AcceptInviteMutation = graphql(
  `
  mutation AcceptInvite($input: AcceptInviteInput!) {
    acceptInvite(input: $input) {
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
