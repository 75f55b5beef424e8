import { isStaff } from "../auth/roles.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import {
  InvalidTransitionError,
  NotFoundError,
  RateLimitedError,
  TicketClosedError,
  UploadRejectedError,
  ValidationError,
} from "../errors.ts";
import { TicketCategory, TicketPriority, TicketStatus } from "../generated/prisma/enums.ts";
import { loadOncePerEvent } from "../ops/event-cache.ts";
import { AFTER_ARG_DESCRIPTION, encodeCursor, TICKETS_STREAM } from "../ops/event-log.ts";
import { resumableEvents } from "../ops/resumable.ts";
import { filterEvents } from "../ops/shared-subscriptions.ts";
import { noteStreamHead, streamEventCursor } from "../ops/stream-cursor.ts";
import type { TicketEventPayload } from "../pubsub.ts";
import { ticketEventKinds } from "./tickets.events.ts";
import { formatTicketNumber } from "./tickets.rules.ts";

const TicketStatusEnum = builder.enumType(TicketStatus, {
  name: "TicketStatus",
  description: "open → in_progress → resolved → closed; see README for who may make each change and reopen rules.",
});
const TicketPriorityEnum = builder.enumType(TicketPriority, { name: "TicketPriority" });
export const TicketCategoryEnum = builder.enumType(TicketCategory, { name: "TicketCategory" });
const TicketOrderEnum = builder.enumType("TicketOrder", {
  values: {
    UPDATED_AT: { description: "Most recently updated first (default)." },
    CREATED_AT: { description: "Newest first." },
    PRIORITY: { description: "Most urgent first, then most recently updated." },
  } as const,
});
const TicketEventKindEnum = builder.enumType("TicketEventKind", { values: ticketEventKinds });

builder.prismaObject("Attachment", {
  fields: (t) => ({
    id: t.exposeID("id"),
    fileName: t.exposeString("fileName"),
    mimeType: t.exposeString("mimeType", { description: "Detected from the content, not the file name." }),
    size: t.exposeInt("size", { description: "Bytes." }),
    inline: t.exposeBoolean("inline", {
      description: "Whether a browser may display it in place; other files download.",
    }),
    url: t.string({
      description: "A download link valid for 15 minutes.",
      resolve: (attachment, _args, context) => context.services.fileLinks.sign(attachment.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("TicketMessage", {
  fields: (t) => ({
    id: t.exposeID("id"),
    body: t.exposeString("body"),
    internal: t.exposeBoolean("internal", { description: "Internal notes are visible to agents only." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    author: t.relation("author"),
    attachments: t.relation("attachments", { query: { orderBy: { createdAt: "asc" } } }),
  }),
});

/** Customers never see internal notes, wherever messages are listed. */
function messageVisibility(context: Context) {
  return context.viewer && isStaff(context.viewer.role) ? {} : { internal: false };
}

builder.prismaObject("Ticket", {
  fields: (t) => ({
    id: t.exposeID("id"),
    eventCursor: t.string({
      nullable: true,
      description:
        "Where ticket events stood when this was read: subscribe to ticketEvents with `after: eventCursor` and " +
        "nothing that happens to the ticket after this read is missed (null when the server keeps no event log).",
      resolve: (_ticket, _args, context) => streamEventCursor(context, TICKETS_STREAM),
    }),
    number: t.exposeInt("number"),
    reference: t.string({
      description: "Human-readable number, e.g. TKT-000123.",
      select: { number: true },
      resolve: (ticket) => formatTicketNumber(ticket.number),
    }),
    subject: t.exposeString("subject"),
    description: t.exposeString("description"),
    category: t.expose("category", { type: TicketCategoryEnum }),
    priority: t.expose("priority", { type: TicketPriorityEnum }),
    status: t.expose("status", { type: TicketStatusEnum }),
    requester: t.relation("requester"),
    assignee: t.relation("assignee", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    firstResponseAt: t.expose("firstResponseAt", {
      type: "DateTime",
      nullable: true,
      description: "When an agent first replied to the customer.",
    }),
    resolvedAt: t.expose("resolvedAt", { type: "DateTime", nullable: true }),
    closedAt: t.expose("closedAt", { type: "DateTime", nullable: true }),
    lastMessage: t.relation("lastMessage", {
      nullable: true,
      description: "The latest message the customer can see.",
    }),
    attachments: t.relation("attachments", {
      description: "Files attached when the ticket was created.",
      query: { where: { messageId: null }, orderBy: { createdAt: "asc" } },
    }),
    messages: t.relatedConnection("messages", {
      cursor: "id",
      description: "The conversation, oldest first.",
      query: (_args, context) => ({
        where: messageVisibility(context),
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
      totalCount: true,
    }),
  }),
});

const TicketFilter = builder.inputType("TicketFilter", {
  fields: (t) => ({
    status: t.field({ type: [TicketStatusEnum] }),
    priority: t.field({ type: [TicketPriorityEnum] }),
    category: t.field({ type: [TicketCategoryEnum] }),
    assigneeId: t.id(),
    unassigned: t.boolean({ description: "Only tickets nobody is assigned to." }),
    requesterId: t.id({ description: "Staff only; customers always see just their own tickets." }),
    search: t.string({ description: "Words in the subject, description or messages, or a ticket number." }),
  }),
});

const CreateTicketInput = builder.inputType("CreateTicketInput", {
  fields: (t) => ({
    subject: t.string({ required: true }),
    description: t.string({ required: true }),
    category: t.field({ type: TicketCategoryEnum }),
    priority: t.field({ type: TicketPriorityEnum }),
    attachments: t.field({ type: ["File"] }),
  }),
});

const AddTicketMessageInput = builder.inputType("AddTicketMessageInput", {
  fields: (t) => ({
    ticketId: t.id({ required: true }),
    body: t.string({ required: true }),
    internal: t.boolean({ description: "An internal note for agents only. Agents only." }),
    attachments: t.field({ type: ["File"] }),
  }),
});

const UploadLimitsRef = builder.objectRef<{ maxBytes: number; maxFiles: number }>("UploadLimits").implement({
  description: "What one message may carry: clients refuse larger files before sending them.",
  fields: (t) => ({
    maxBytes: t.exposeFloat("maxBytes", { description: "Largest file, in bytes (UPLOAD_MAX_BYTES)." }),
    maxFiles: t.exposeInt("maxFiles", { description: "Most files per message (UPLOAD_MAX_FILES)." }),
  }),
});

builder.queryFields((t) => ({
  uploadLimits: t.field({
    type: UploadLimitsRef,
    description: "The attachment limits, for anyone (the numbers are no secret).",
    resolve: (_root, _args, context) => context.services.files.limits,
  }),
  tickets: t.withAuth({ authenticated: true }).prismaConnection(
    {
      type: "Ticket",
      cursor: "id",
      description: "Tickets the viewer may see (customers: their own), filtered and sorted.",
      totalCount: async (_parent, args, context) =>
        context.prisma.ticket.count({
          where: await context.services.tickets.listWhere(context.viewer, args.filter),
        }),
      args: {
        filter: t.arg({ type: TicketFilter }),
        orderBy: t.arg({ type: TicketOrderEnum, defaultValue: "UPDATED_AT" }),
      },
      resolve: async (query, _root, args, context) => {
        // Its eventCursor vouches for what this read returns (api/ops/stream-cursor.ts).
        await noteStreamHead(context, TICKETS_STREAM);
        return context.prisma.ticket.findMany({
          ...query,
          where: await context.services.tickets.listWhere(context.viewer, args.filter),
          orderBy: context.services.tickets.listOrder(args.orderBy),
        });
      },
    },
    {
      fields: (c) => ({
        eventCursor: c.string({
          nullable: true,
          description:
            "Where ticket events stood when this list was read: subscribe to ticketFeed with `after: eventCursor` " +
            "and nothing after this read is missed (null when the server keeps no event log).",
          resolve: (_connection, _args, context) => streamEventCursor(context, TICKETS_STREAM),
        }),
      }),
    },
  ),
  ticket: t.withAuth({ authenticated: true }).prismaField({
    type: "Ticket",
    nullable: true,
    description: "One ticket, or null when it does not exist or the viewer may not see it.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      // Its eventCursor vouches for what this read returns (api/ops/stream-cursor.ts).
      await noteStreamHead(context, TICKETS_STREAM);
      const ticket = await context.prisma.ticket.findUnique({ ...query, where: { id: String(args.id) } });
      return ticket && context.services.tickets.canView(context.viewer, ticket) ? ticket : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createTicket: t.withAuth({ authenticated: true }).prismaField({
    type: "Ticket",
    errors: { types: [ValidationError, UploadRejectedError, RateLimitedError], directResult: true },
    args: { input: t.arg({ type: CreateTicketInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      await context.services.rateLimits.writes(context.viewer.userId);
      const { attachments, ...fields } = input;
      const ticket = await context.services.tickets.create(context.viewer, fields, attachments ?? []);
      return context.prisma.ticket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
  addTicketMessage: t.withAuth({ authenticated: true }).prismaField({
    type: "TicketMessage",
    description: "Adds a reply (or, for agents, an internal note). A customer's reply reopens a resolved ticket.",
    errors: {
      types: [ValidationError, NotFoundError, TicketClosedError, UploadRejectedError, RateLimitedError],
      directResult: true,
    },
    args: { input: t.arg({ type: AddTicketMessageInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      await context.services.rateLimits.writes(context.viewer.userId);
      const { attachments, ...fields } = input;
      const message = await context.services.tickets.addMessage(
        context.viewer,
        { ...fields, ticketId: String(fields.ticketId), internal: fields.internal ?? false },
        attachments ?? [],
      );
      return context.prisma.ticketMessage.findUniqueOrThrow({ ...query, where: { id: message.id } });
    },
  }),
  updateTicketStatus: t.withAuth({ authenticated: true }).prismaField({
    type: "Ticket",
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { ticketId: t.arg.id({ required: true }), status: t.arg({ type: TicketStatusEnum, required: true }) },
    resolve: async (query, _root, args, context) => {
      const ticket = await context.services.tickets.updateStatus(context.viewer, String(args.ticketId), args.status);
      return context.prisma.ticket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
  updateTicketPriority: t.withAuth({ agent: true }).prismaField({
    type: "Ticket",
    errors: { types: [NotFoundError], directResult: true },
    args: { ticketId: t.arg.id({ required: true }), priority: t.arg({ type: TicketPriorityEnum, required: true }) },
    resolve: async (query, _root, args, context) => {
      const ticket = await context.services.tickets.updatePriority(
        context.viewer,
        String(args.ticketId),
        args.priority,
      );
      return context.prisma.ticket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
  assignTicket: t.withAuth({ agent: true }).prismaField({
    type: "Ticket",
    description: "Assigns the ticket to an agent, or unassigns it with a null assigneeId. Agents only.",
    errors: { types: [NotFoundError, ValidationError], directResult: true },
    args: { ticketId: t.arg.id({ required: true }), assigneeId: t.arg.id() },
    resolve: async (query, _root, args, context) => {
      const ticket = await context.services.tickets.assign(
        context.viewer,
        String(args.ticketId),
        args.assigneeId ? String(args.assigneeId) : null,
      );
      return context.prisma.ticket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
}));

const TicketEvent = builder.objectRef<TicketEventPayload>("TicketEvent").implement({
  description: "Something happened to a ticket. Load what you need through `ticket` and `message`.",
  fields: (t) => ({
    kind: t.field({ type: TicketEventKindEnum, resolve: (event) => event.kind }),
    cursor: t.string({
      description: "Where this event sits in the ticket streams: pass it as `after` to resume after it.",
      resolve: (event) => encodeCursor(TICKETS_STREAM, event.seq ?? 0),
    }),
    ticketId: t.id({ resolve: (event) => event.ticketId }),
    ticket: t.prismaField({
      type: "Ticket",
      resolve: (query, event, _args, context) =>
        loadOncePerEvent(event, ["ticket", query], () =>
          context.prisma.ticket.findUniqueOrThrow({ ...query, where: { id: event.ticketId } }),
        ),
    }),
    message: t.prismaField({
      type: "TicketMessage",
      nullable: true,
      description: "The new message, for MESSAGE_ADDED.",
      resolve: (query, event, _args, context) => {
        const { messageId } = event;
        if (!messageId) {
          // No message for this kind of event: the selection (e.g. `author`) is read only to tell the Prisma plugin
          // it was not forgotten (its unused-query check fails the field otherwise).
          void { ...query };
          return null;
        }
        return loadOncePerEvent(event, ["message", query], () =>
          context.prisma.ticketMessage.findUnique({ ...query, where: { id: messageId } }),
        );
      },
    }),
  }),
});

builder.subscriptionFields((t) => ({
  ticketEvents: t.withAuth({ authenticated: true }).field({
    type: TicketEvent,
    description:
      "Changes and new messages on one ticket the viewer may see. Internal notes reach agents only. With `after` " +
      "(an event's `cursor`, from this subscription or ticketFeed) it first sends what happened since that event.",
    args: { ticketId: t.arg.id({ required: true }), after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: async (_root, args, context) => {
      const { viewer } = context;
      const ticket = await context.services.tickets.visibleTicket(viewer, String(args.ticketId));
      const events = await resumableEvents<TicketEventPayload>({
        log: context.pubsub.log,
        stream: TICKETS_STREAM,
        key: ticket.id,
        cursor: args.after,
        live: context.pubsub.subscribe("ticket", ticket.id),
      });
      return filterEvents(events, (event) => !event.internal || isStaff(viewer.role));
    },
    resolve: (event) => event,
  }),
  ticketFeed: t.withAuth({ authenticated: true }).field({
    type: TicketEvent,
    description:
      "The inbox feed: every ticket event for agents; a customer receives only events of their own tickets. " +
      "Internal notes reach agents only. With `after` (an event's `cursor`) it first sends what happened since.",
    args: { after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: async (_root, args, context) => {
      const { viewer } = context;
      const staff = isStaff(viewer.role);
      const events = await resumableEvents<TicketEventPayload>({
        log: context.pubsub.log,
        stream: TICKETS_STREAM,
        key: null,
        cursor: args.after,
        live: context.pubsub.subscribe("ticketFeed"),
      });
      return filterEvents(events, (event) => (staff ? true : event.requesterId === viewer.userId && !event.internal));
    },
    resolve: (event) => event,
  }),
}));
