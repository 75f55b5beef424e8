import { z } from "zod";
import type { Viewer } from "../auth/auth.service.ts";
import { isStaff, type StaffViewer } from "../auth/roles.ts";
import type { Clock } from "../clock.ts";
import { forbidden, InvalidTransitionError, NotFoundError, TicketClosedError, ValidationError } from "../errors.ts";
import type { FileStore, StoredFile } from "../files/file-store.ts";
import type { Prisma, PrismaClient, Ticket } from "../generated/prisma/client.ts";
import {
  TicketCategory as TicketCategoryValues,
  type TicketPriority,
  TicketPriority as TicketPriorityValues,
  type TicketStatus,
  TicketStatus as TicketStatusValues,
} from "../generated/prisma/enums.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import { TICKETS_STREAM } from "../ops/event-log.ts";
import type { PubSub, TicketEventPayload } from "../pubsub.ts";
import { categoriesOf } from "../workspace/workspace.rules.ts";
import { parseTicketNumber, partiesOf, priorityRank, transitionRefusal } from "./tickets.rules.ts";

export const createTicketInput = z.object({
  subject: z.string().trim().min(3, "must be at least 3 characters").max(200, "must be at most 200 characters"),
  description: z.string().trim().min(1, "describe the problem").max(20_000, "must be at most 20,000 characters"),
  category: z.enum(TicketCategoryValues).default("GENERAL"),
  priority: z.enum(TicketPriorityValues).default("MEDIUM"),
});

export const addMessageInput = z.object({
  ticketId: z.string().min(1),
  body: z.string().trim().min(1, "write a message").max(20_000, "must be at most 20,000 characters"),
  internal: z.boolean().default(false),
});

export const ticketFilterInput = z.object({
  status: z.array(z.enum(TicketStatusValues)).nullish(),
  priority: z.array(z.enum(TicketPriorityValues)).nullish(),
  category: z.array(z.enum(TicketCategoryValues)).nullish(),
  assigneeId: z.string().min(1).nullish(),
  unassigned: z.boolean().nullish(),
  requesterId: z.string().min(1).nullish(),
  search: z.string().trim().max(200, "must be at most 200 characters").nullish(),
});

export type TicketFilter = z.input<typeof ticketFilterInput>;
export type TicketOrder = "UPDATED_AT" | "CREATED_AT" | "PRIORITY";

/** A search matches at most this many tickets; narrow it with filters beyond that. */
const SEARCH_MATCH_LIMIT = 1000;

function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "input"): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

export class TicketService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly files: FileStore,
    private readonly clock: Clock,
  ) {}

  canView(viewer: Viewer, ticket: Pick<Ticket, "requesterId">): boolean {
    return isStaff(viewer.role) || ticket.requesterId === viewer.userId;
  }

  /** The ticket if the viewer may see it; NotFound otherwise, so ids of other customers' tickets reveal nothing. */
  async visibleTicket(viewer: Viewer, ticketId: string): Promise<Ticket> {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId } });
    if (!ticket || !this.canView(viewer, ticket)) throw new NotFoundError("Ticket");
    return ticket;
  }

  /** An admin may switch categories off in the workspace settings (api/workspace): new tickets cannot use those. */
  private async assertCategoryOffered(category: Ticket["category"]): Promise<void> {
    const settings = await this.prisma.workspaceSettings.findFirst({ select: { ticketCategories: true } });
    const setting = categoriesOf(settings?.ticketCategories).find((entry) => entry.category === category);
    if (setting && !setting.enabled)
      throw ValidationError.field(
        "input.category",
        `"${setting.label}" is not offered any more: choose another category`,
      );
  }

  async create(viewer: Viewer, input: unknown, attachments: readonly File[] = []): Promise<Ticket> {
    const data = parse(createTicketInput, input);
    await this.assertCategoryOffered(data.category);
    this.files.assertAcceptable(attachments);
    const stored = await this.storeAll(attachments);
    const now = this.clock.now();
    const ticket = await this.prisma.$transaction(async (tx) => {
      const created = await tx.ticket.create({
        data: {
          ...data,
          priorityRank: priorityRank[data.priority],
          requesterId: viewer.userId,
          createdAt: now,
          updatedAt: now,
          attachments: { create: stored.map((file) => ({ ...file, uploaderId: viewer.userId, createdAt: now })) },
        },
      });
      await enqueueJob(tx, "email.ticketCreated", { ticketId: created.id }, { runAt: now });
      // An urgent ticket gets a support call (see session-reactions.jobs.ts).
      if (created.priority === "URGENT")
        await enqueueJob(tx, "ticket.escalate", { ticketId: created.id, actor: viewer }, { runAt: now });
      return created;
    });
    await this.publish({ kind: "CREATED", ticketId: ticket.id, requesterId: ticket.requesterId });
    return ticket;
  }

  /**
   * The Prisma filter for a ticket list as this viewer may see it. Customers see only their own tickets,
   * whatever filter they send.
   */
  async listWhere(viewer: Viewer, filterInput: TicketFilter | null | undefined): Promise<Prisma.TicketWhereInput> {
    const filter = parse(ticketFilterInput, filterInput ?? {}, "filter");
    const where: Prisma.TicketWhereInput[] = [];
    if (!isStaff(viewer.role)) where.push({ requesterId: viewer.userId });
    else if (filter.requesterId) where.push({ requesterId: filter.requesterId });
    if (filter.status?.length) where.push({ status: { in: filter.status } });
    if (filter.priority?.length) where.push({ priority: { in: filter.priority } });
    if (filter.category?.length) where.push({ category: { in: filter.category } });
    if (filter.unassigned) where.push({ assigneeId: null });
    else if (filter.assigneeId) where.push({ assigneeId: filter.assigneeId });
    if (filter.search) where.push({ id: { in: await this.searchIds(filter.search, isStaff(viewer.role)) } });
    return { AND: where };
  }

  listOrder(order: TicketOrder | null | undefined): Prisma.TicketOrderByWithRelationInput[] {
    switch (order) {
      case "CREATED_AT":
        return [{ createdAt: "desc" }, { id: "desc" }];
      case "PRIORITY":
        return [{ priorityRank: "desc" }, { updatedAt: "desc" }, { id: "desc" }];
      default:
        return [{ updatedAt: "desc" }, { id: "desc" }];
    }
  }

  /** Full-text search over subject, description and messages (internal notes only for staff), or a ticket number. */
  private async searchIds(search: string, includeInternal: boolean): Promise<string[]> {
    const number = parseTicketNumber(search);
    // The to_tsvector expressions are exactly those of the GIN indexes (migration add_search_indexes), so
    // PostgreSQL answers each branch from an index; each branch stops at the match limit.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT id FROM (
        (SELECT id FROM "Ticket"
          WHERE to_tsvector('english'::regconfig, subject || ' ' || description)
                @@ websearch_to_tsquery('english'::regconfig, ${search})
          LIMIT ${SEARCH_MATCH_LIMIT})
        UNION
        (SELECT id FROM "Ticket" WHERE number = ${number ?? -1})
        UNION
        (SELECT "ticketId" AS id FROM "TicketMessage"
          WHERE to_tsvector('english'::regconfig, body) @@ websearch_to_tsquery('english'::regconfig, ${search})
            AND (${includeInternal} OR NOT internal)
          LIMIT ${SEARCH_MATCH_LIMIT})
      ) matches
      LIMIT ${SEARCH_MATCH_LIMIT}`;
    return rows.map((row) => row.id);
  }

  async addMessage(viewer: Viewer, input: unknown, attachments: readonly File[] = []) {
    const data = parse(addMessageInput, input);
    const ticket = await this.visibleTicket(viewer, data.ticketId);
    const staff = isStaff(viewer.role);
    if (data.internal && !staff) throw forbidden("Only agents can write internal notes");
    if (ticket.status === "CLOSED") throw new TicketClosedError();
    this.files.assertAcceptable(attachments);
    const stored = await this.storeAll(attachments);
    const now = this.clock.now();
    const isRequester = ticket.requesterId === viewer.userId;
    const message = await this.prisma.$transaction(async (tx) => {
      // The ticket row first, for the whole transaction. Inserting the message (and its attachments) takes a KEY
      // SHARE lock on the ticket row (foreign key), and setting lastMessageId (a unique column, so a key update)
      // needs a FOR UPDATE lock, which KEY SHARE blocks: two replies each holding KEY SHARE and waiting to
      // upgrade deadlocked on PostgreSQL. Replies on one ticket now queue here instead, and read its current state.
      const [current] = await tx.$queryRaw<Pick<Ticket, "status" | "firstResponseAt">[]>`
        SELECT status, "firstResponseAt" FROM "Ticket" WHERE id = ${ticket.id} FOR UPDATE`;
      if (!current) throw new NotFoundError("Ticket");
      if (current.status === "CLOSED") throw new TicketClosedError();
      const created = await tx.ticketMessage.create({
        data: {
          ticketId: ticket.id,
          authorId: viewer.userId,
          body: data.body,
          internal: data.internal,
          createdAt: now,
          attachments: {
            create: stored.map((file) => ({ ...file, ticketId: ticket.id, uploaderId: viewer.userId, createdAt: now })),
          },
        },
      });
      const update: Prisma.TicketUpdateInput = { updatedAt: now };
      if (!data.internal) update.lastMessage = { connect: { id: created.id } };
      if (staff && !isRequester && !data.internal && !current.firstResponseAt) update.firstResponseAt = now;
      // A requester answering a resolved ticket means it is not resolved after all.
      if (isRequester && current.status === "RESOLVED") {
        update.status = "OPEN";
        update.resolvedAt = null;
      }
      await tx.ticket.update({ where: { id: ticket.id }, data: update });
      if (!data.internal && staff && !isRequester) {
        await enqueueJob(tx, "email.ticketReply", { messageId: created.id }, { runAt: now });
      }
      if (!data.internal && isRequester && ticket.assigneeId && ticket.assigneeId !== viewer.userId) {
        await enqueueJob(tx, "email.ticketCustomerMessage", { messageId: created.id }, { runAt: now });
      }
      return created;
    });
    await this.publish({
      kind: "MESSAGE_ADDED",
      ticketId: ticket.id,
      requesterId: ticket.requesterId,
      messageId: message.id,
      internal: message.internal,
    });
    return message;
  }

  /**
   * A message the system writes on a ticket in the caller's transaction (a support call's link), as `authorId`.
   * It becomes the ticket's last message, but it is not a staff answer: it sets no first-response time and sends
   * no email (the requester gets the call's invitation instead). Publish the returned event after the commit.
   */
  async addSystemMessage(
    tx: Prisma.TransactionClient,
    message: { ticketId: string; authorId: string; body: string },
  ): Promise<TicketEventPayload> {
    const now = this.clock.now();
    const created = await tx.ticketMessage.create({ data: { ...message, createdAt: now } });
    const ticket = await tx.ticket.update({
      where: { id: message.ticketId },
      data: { lastMessage: { connect: { id: created.id } }, updatedAt: now },
    });
    return {
      kind: "MESSAGE_ADDED",
      ticketId: ticket.id,
      requesterId: ticket.requesterId,
      messageId: created.id,
      internal: false,
    };
  }

  async updateStatus(viewer: Viewer, ticketId: string, status: TicketStatus): Promise<Ticket> {
    const ticket = await this.visibleTicket(viewer, ticketId);
    const refusal = transitionRefusal(
      ticket.status,
      status,
      partiesOf(viewer.role, ticket.requesterId === viewer.userId),
    );
    if (refusal) throw new InvalidTransitionError(ticket.status, status, refusal);
    const now = this.clock.now();
    const data: Prisma.TicketUpdateManyMutationInput = { status, updatedAt: now };
    if (status === "RESOLVED") data.resolvedAt = now;
    if (status === "OPEN" || status === "IN_PROGRESS") data.resolvedAt = null;
    if (status === "CLOSED") data.closedAt = now;
    // Only from the status we checked: a concurrent change makes this one fail instead of skipping a step.
    await this.prisma.$transaction(async (tx) => {
      const changed = await tx.ticket.updateMany({ where: { id: ticket.id, status: ticket.status }, data });
      if (changed.count === 0) {
        throw new InvalidTransitionError(
          ticket.status,
          status,
          "the ticket was changed meanwhile; reload and try again",
        );
      }
      // The requester resolving their own ticket needs no email about it.
      if (status === "RESOLVED" && ticket.requesterId !== viewer.userId) {
        await enqueueJob(tx, "email.ticketResolved", { ticketId: ticket.id }, { runAt: now });
      }
    });
    await this.publish({ kind: "STATUS_CHANGED", ticketId: ticket.id, requesterId: ticket.requesterId });
    return this.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  }

  /** Staff only: the field's `agent` scope checked that. */
  async updatePriority(viewer: StaffViewer, ticketId: string, priority: TicketPriority): Promise<Ticket> {
    const ticket = await this.visibleTicket(viewer, ticketId);
    const now = this.clock.now();
    const updated = await this.prisma.$transaction(async (tx) => {
      const saved = await tx.ticket.update({
        where: { id: ticket.id },
        data: { priority, priorityRank: priorityRank[priority], updatedAt: now },
      });
      if (priority === "URGENT" && ticket.priority !== "URGENT")
        await enqueueJob(tx, "ticket.escalate", { ticketId: ticket.id, actor: viewer }, { runAt: now });
      return saved;
    });
    await this.publish({ kind: "PRIORITY_CHANGED", ticketId: ticket.id, requesterId: ticket.requesterId });
    return updated;
  }

  /** Staff only: the field's `agent` scope checked that. */
  async assign(viewer: StaffViewer, ticketId: string, assigneeId: string | null): Promise<Ticket> {
    const ticket = await this.visibleTicket(viewer, ticketId);
    if (assigneeId) {
      const assignee = await this.prisma.user.findUnique({
        where: { id: assigneeId },
        select: { role: true, deactivatedAt: true },
      });
      if (!assignee) throw ValidationError.field("assigneeId", "no such user");
      if (!isStaff(assignee.role)) throw ValidationError.field("assigneeId", "tickets can only be assigned to agents");
      if (assignee.deactivatedAt) throw ValidationError.field("assigneeId", "this agent was deactivated");
    }
    const now = this.clock.now();
    const updated = await this.prisma.$transaction(async (tx) => {
      const saved = await tx.ticket.update({ where: { id: ticket.id }, data: { assigneeId, updatedAt: now } });
      // Agents taking a ticket themselves need no email about it.
      if (assigneeId && assigneeId !== ticket.assigneeId && assigneeId !== viewer.userId) {
        await enqueueJob(tx, "email.ticketAssigned", { ticketId: ticket.id, assigneeId }, { runAt: now });
      }
      return saved;
    });
    await this.publish({ kind: "ASSIGNED", ticketId: ticket.id, requesterId: ticket.requesterId });
    return updated;
  }

  /** Whether the viewer may download an attachment: same rule as the ticket, and internal notes for staff only. */
  async visibleAttachment(viewer: Viewer, attachmentId: string) {
    const attachment = await this.prisma.attachment.findUnique({
      where: { id: attachmentId },
      include: { ticket: { select: { requesterId: true } }, message: { select: { internal: true } } },
    });
    if (!attachment || !this.canView(viewer, attachment.ticket)) return null;
    if (attachment.message?.internal && !isStaff(viewer.role)) return null;
    return attachment;
  }

  /** Checks every file first, so one refused file stores none of the batch. */
  private async storeAll(files: readonly File[]): Promise<StoredFile[]> {
    const inspected = [];
    for (const file of files) inspected.push(await this.files.inspect(file));
    const stored: StoredFile[] = [];
    for (const file of inspected) stored.push(await this.files.write(file));
    return stored;
  }

  /**
   * Called after the change is committed: writes the event to the `tickets` stream log, then publishes it; never
   * throws. Subscribers load fresh data themselves.
   */
  publish(event: TicketEventPayload): Promise<void> {
    return this.pubsub.appendAndPublish(TICKETS_STREAM, event.ticketId, event, (positioned) => {
      this.pubsub.publish("ticket", event.ticketId, positioned);
      this.pubsub.publish("ticketFeed", positioned);
    });
  }
}
