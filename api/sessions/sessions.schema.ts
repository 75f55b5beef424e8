/** The sessions domain's GraphQL schema, one file per part. */
import "./session-errors.schema.ts";
import "./session-types.schema.ts";
import "./session-scheduling.schema.ts";
import "./session-join.schema.ts";
import "./session-host.schema.ts";
import "./session-chat.schema.ts";
import "./session-gestures.schema.ts";
import "./session-events.schema.ts";
import "./ticket-calls.schema.ts";
