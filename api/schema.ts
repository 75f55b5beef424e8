import { builder } from "./builder.ts";
import "./errors.schema.ts";
import "./auth/auth.schema.ts";
import "./auth/account.schema.ts";
import "./tickets/tickets.schema.ts";
import "./sessions/sessions.schema.ts";
import "./analytics/analytics.schema.ts";
import "./jobs/jobs.schema.ts";
import "./notifications/notifications.schema.ts";
import "./signaling/signaling.schema.ts";
import "./recordings/recordings.schema.ts";
import "./sessions/session-notifications.schema.ts";
import "./media/media.schema.ts";
import "./team/team.schema.ts";
import "./workspace/workspace.schema.ts";

export const schema = builder.toSchema({ sortSchema: true });
