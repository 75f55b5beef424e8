import { graphql } from "../../graphql/tada.ts";

/** The workspace's settings, look and first-run checklist (api/workspace/workspace.schema.ts). */

export const WorkspaceLookQuery = graphql(`
  query WorkspaceLook {
    workspace {
      id
      name
      accentColor
      logoUrl
    }
  }
`);

export const TicketCategoriesQuery = graphql(`
  query TicketCategories {
    workspace {
      id
      ticketCategories {
        category
        label
        enabled
      }
    }
  }
`);

export const WorkspaceSettingsFields = graphql(`
  fragment WorkspaceSettingsFields on Workspace {
    id
    name
    accentColor
    logoUrl
    timeZone
    businessHours {
      day
      opens
      closes
    }
    ticketCategories {
      category
      label
      enabled
    }
  }
`);

export const WorkspaceSettingsQuery = graphql(
  `
  query WorkspaceSettings {
    workspace {
      ...WorkspaceSettingsFields
      status {
        pushKeys
        turn
        mediaServer
        mail
      }
    }
  }
`,
  [WorkspaceSettingsFields],
);

export const UpdateWorkspaceMutation = graphql(
  `
  mutation UpdateWorkspace($input: WorkspaceInput!) {
    updateWorkspace(input: $input) {
      __typename
      ... on Workspace {
        ...WorkspaceSettingsFields
      }
      ... on ValidationError {
        message
        fieldErrors {
          path
          message
        }
      }
    }
  }
`,
  [WorkspaceSettingsFields],
);

export const SetWorkspaceLogoMutation = graphql(`
  mutation SetWorkspaceLogo($logo: File) {
    setWorkspaceLogo(logo: $logo) {
      __typename
      ... on Workspace {
        id
        logoUrl
      }
      ... on UploadRejectedError {
        message
      }
    }
  }
`);

export const SendTestEmailMutation = graphql(`
  mutation SendTestEmail {
    sendTestEmail {
      __typename
      ... on TestEmailResult {
        to
        accepted
        transport
        response
      }
      ... on Error {
        message
      }
    }
  }
`);

export const FirstRunChecklistQuery = graphql(`
  query FirstRunChecklist {
    workspace {
      id
      firstRunChecklist {
        key
        done
      }
    }
  }
`);

export const DismissFirstRunChecklistMutation = graphql(`
  mutation DismissFirstRunChecklist {
    dismissFirstRunChecklist {
      id
      firstRunChecklist {
        key
        done
      }
    }
  }
`);
