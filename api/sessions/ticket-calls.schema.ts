import { builder } from "../builder.ts";
import { NotFoundError } from "../errors.ts";
import { changedRow } from "./sessions.resolvers.ts";

builder.mutationFields((t) => ({
  startCallFromTicket: t.withAuth({ agent: true }).prismaField({
    type: "LiveSession",
    description: "Creates a support call starting now, hosted by the viewer, with the ticket's requester invited.",
    errors: { types: [NotFoundError], directResult: true },
    args: { ticketId: t.arg.id({ required: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.ticketCalls.startCallFromTicket(context.viewer, String(args.ticketId)),
    ),
  }),
}));

builder.prismaObjectField("Ticket", "sessions", (t) =>
  t.relation("liveSessions", {
    description: "Live sessions linked to this ticket (support calls), newest first.",
    query: { orderBy: [{ scheduledStartAt: "desc" }, { id: "desc" }] },
  }),
);
