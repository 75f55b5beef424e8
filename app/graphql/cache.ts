import type { Cache, CacheExchangeOpts } from "@urql/exchange-graphcache";
import { NotificationPreferencesQuery } from "../features/auth/auth.documents.ts";
import { ChatHistoryQuery } from "../features/sessions/chat.documents.ts";
import { type ResultOf, TicketThreadQuery } from "../features/tickets/tickets.documents.ts";

type Message = NonNullable<ResultOf<typeof TicketThreadQuery>["ticket"]>["messages"]["edges"][number]["node"];
type TicketEvent = { kind: string; ticketId: string; message: Message | null };
type ChatMessage = NonNullable<
  ResultOf<typeof ChatHistoryQuery>["liveSession"]
>["chatMessages"]["edges"][number]["node"];

/** Types without an id live inside their parent (connections, payloads, errors). */
const embedded = () => null;

/** Appends a node to a cached connection's edges unless it is there already (an event and a mutation may both bring it). */
function appendEdge<Node extends { id: string }>(
  edges: { node: Node }[],
  node: Node,
  edge: { __typename: string; cursor?: string },
): boolean {
  if (edges.some((existing) => existing.node.id === node.id)) return false;
  edges.push({ ...edge, node } as never);
  return true;
}

/** Adds a message to the cached thread of its ticket once, whichever of the mutation or the event came first. */
export function appendMessage(cache: Cache, ticketId: string, message: Message): void {
  cache.updateQuery({ query: TicketThreadQuery, variables: { id: ticketId } }, (data) => {
    const ticket = data?.ticket;
    if (
      ticket &&
      appendEdge(ticket.messages.edges, message, { __typename: "TicketMessagesConnectionEdge", cursor: message.id })
    )
      ticket.messages.totalCount += 1;
    return data;
  });
}

/** Adds a chat message to its session's cached chat once, whichever of the send or the event came first. */
function appendChatMessage(cache: Cache, sessionId: string, message: ChatMessage): void {
  cache.updateQuery({ query: ChatHistoryQuery, variables: { id: sessionId } }, (data) => {
    const chat = data?.liveSession?.chatMessages;
    if (chat) appendEdge(chat.edges, message, { __typename: "LiveSessionChatMessagesConnectionEdge" });
    return data;
  });
}

function applyEvent(cache: Cache, event: TicketEvent | undefined): void {
  if (event?.kind === "MESSAGE_ADDED" && event.message) appendMessage(cache, event.ticketId, event.message);
}

type SessionParticipant = { __typename: string; id: string; sessionId: string };

/**
 * Someone new used a session's link: add them to the session's cached participants (changes to people already
 * listed update their own entity).
 */
function addParticipant(cache: Cache, participant: SessionParticipant | undefined): void {
  if (!participant) return;
  const session = { __typename: "LiveSession", id: participant.sessionId };
  const listed = cache.resolve(session, "participants") as string[] | null | undefined;
  const key = cache.keyOfEntity({ __typename: "SessionParticipant", id: participant.id });
  if (listed && key && !listed.includes(key)) cache.link(session, "participants", [...listed, key]);
}

/** Lists are re-read from the server after a ticket is created; entity changes update themselves. */
function invalidateTicketLists(cache: Cache): void {
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName === "tickets") cache.invalidate("Query", field.fieldName, field.arguments ?? undefined);
  }
}

export const cacheConfig: CacheExchangeOpts = {
  keys: {
    // Types without an id: embedded in their parent (a test checks every such type is listed here).
    AccountDeactivatedError: embedded,
    AuthPayload: embedded,
    BaseError: embedded,
    BusinessHours: embedded,
    CallCapacity: embedded,
    DeactivateUserResult: embedded,
    EmailChangeRequested: embedded,
    EmailDomainNotAllowedError: embedded,
    EmailTakenError: embedded,
    EmailVerificationRequiredError: embedded,
    FieldError: embedded,
    FirstRunChecklistItem: embedded,
    IceServer: embedded,
    InvalidCredentialsError: embedded,
    InvalidTokenError: embedded,
    InvalidTransitionError: embedded,
    InvalidVerificationCodeError: embedded,
    Invitation: embedded,
    InvitationPreview: embedded,
    JobKindStats: embedded,
    JoinSessionPayload: embedded,
    LastAdminError: embedded,
    LiveSessionChatMessagesConnection: embedded,
    LiveSessionChatMessagesConnectionEdge: embedded,
    MailDeliveryError: embedded,
    MediaAlreadyPublishingError: embedded,
    MediaAnswer: embedded,
    MediaFeedNotFoundError: embedded,
    MediaNotNegotiatingError: embedded,
    MediaOffer: embedded,
    MediaParticipantState: embedded,
    MediaPublishNotAllowedError: embedded,
    MediaRefusedError: embedded,
    MediaServerUnavailableError: embedded,
    MediaStream: embedded,
    MutationAdmitAllParticipantsSuccess: embedded,
    MutationDenyAllParticipantsSuccess: embedded,
    MutationMediaConfigureSuccess: embedded,
    MutationMediaStateSuccess: embedded,
    MutationMediaSubscribeAnswerSuccess: embedded,
    MutationMediaTrickleSuccess: embedded,
    NotFoundError: embedded,
    NotificationPreferences: embedded,
    PageInfo: embedded,
    ParticipantRemovedError: embedded,
    PasswordResetRequested: embedded,
    PushEndpointRefusedError: embedded,
    QueryLiveSessionsConnection: embedded,
    QueryLiveSessionsConnectionEdge: embedded,
    QueryTicketsConnection: embedded,
    QueryTicketsConnectionEdge: embedded,
    RateLimitedError: embedded,
    RecordingClosedError: embedded,
    RecordingConsentMissingError: embedded,
    RecordingConsentRequiredError: embedded,
    RecordingNotOnError: embedded,
    SeatLimitError: embedded,
    SessionAnalyticsSummary: embedded,
    SessionChatEvent: embedded,
    SessionEndedError: embedded,
    SessionFullError: embedded,
    SessionGestureEvent: embedded,
    SessionLinkInfo: embedded,
    SessionLockedError: embedded,
    SessionMediaEvent: embedded,
    SessionNotFoundError: embedded,
    SessionOptionDisabledError: embedded,
    SessionParticipantEvent: embedded,
    SessionStateEvent: embedded,
    SessionVisit: embedded,
    Team: embedded,
    TeamMembersConnection: embedded,
    TeamMembersConnectionEdge: embedded,
    TestEmailResult: embedded,
    TicketCategorySetting: embedded,
    TicketClosedError: embedded,
    TicketEvent: embedded,
    TicketMessagesConnection: embedded,
    TicketMessagesConnectionEdge: embedded,
    TooManyAttemptsError: embedded,
    UploadLimits: embedded,
    UploadRejectedError: embedded,
    ValidationError: embedded,
    VerificationCodeSent: embedded,
    WaitingRoomUpdate: embedded,
    WorkspaceStatus: embedded,
    WrongPasswordError: embedded,
    SessionAnalytics: (data) => (data.sessionId as string | undefined) ?? null,
    ParticipantAnalytics: (data) => (data.participantId as string | undefined) ?? null,
  },
  updates: {
    Mutation: {
      // The first-run checklist is read from data: a sent test email changes it, so it is asked for again.
      sendTestEmail(_result, _args, cache) {
        cache.invalidate({ __typename: "Workspace", id: "workspace" }, "firstRunChecklist");
      },
      createTicket(result, _args, cache) {
        if ((result.createTicket as { __typename?: string } | null)?.__typename === "Ticket")
          invalidateTicketLists(cache);
      },
      // Preferences have no id (embedded in the user): put the saved ones where the profile reads them.
      updateNotificationPreferences(result, _args, cache) {
        const saved = result.updateNotificationPreferences as { __typename?: string } | null;
        if (saved?.__typename !== "NotificationPreferences") return;
        cache.updateQuery({ query: NotificationPreferencesQuery }, (data) => {
          if (data?.me) Object.assign(data.me.notificationPreferences, saved);
          return data;
        });
      },
      addTicketMessage(result, args, cache) {
        const message = result.addTicketMessage as (Message & { __typename: string }) | null;
        const input = args.input as { ticketId: string };
        if (message?.__typename === "TicketMessage") appendMessage(cache, input.ticketId, message);
      },
      sendSessionChatMessage(result, args, cache) {
        const message = result.sendSessionChatMessage as (ChatMessage & { __typename: string }) | null;
        if (message?.__typename === "SessionChatMessage") appendChatMessage(cache, args.sessionId as string, message);
      },
    },
    Subscription: {
      ticketEvents(result, _args, cache) {
        applyEvent(cache, result.ticketEvents as TicketEvent | undefined);
      },
      ticketFeed(result, _args, cache) {
        applyEvent(cache, result.ticketFeed as TicketEvent | undefined);
      },
      // Session state events carry the session (status, lock, recording), which updates itself by id.
      sessionParticipantEvents(result, _args, cache) {
        const event = result.sessionParticipantEvents as { participant?: SessionParticipant } | undefined;
        addParticipant(cache, event?.participant);
      },
      sessionChat(result, args, cache) {
        const event = result.sessionChat as { message: ChatMessage } | undefined;
        if (event) appendChatMessage(cache, args.sessionId as string, event.message);
      },
      // The waiting room event lists everyone waiting now: it replaces the session's waiting list.
      sessionWaitingRoom(result, args, cache) {
        const update = result.sessionWaitingRoom as { waiting: SessionParticipant[] } | undefined;
        if (update)
          cache.link({ __typename: "LiveSession", id: args.sessionId as string }, "waitingList", update.waiting);
      },
    },
  },
};

export { invalidateTicketLists };
