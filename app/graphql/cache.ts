import type { Cache, CacheExchangeOpts } from "@urql/exchange-graphcache";
import { NotificationPreferencesQuery } from "../features/auth/auth.documents.ts";
import { type ResultOf, TicketThreadQuery } from "../features/tickets/tickets.documents.ts";

type Message = NonNullable<ResultOf<typeof TicketThreadQuery>["ticket"]>["messages"]["edges"][number]["node"];
type TicketEvent = { kind: string; ticketId: string; message: Message | null };

/** Types without an id live inside their parent (connections, payloads, errors). */
const embedded = () => null;

/** Adds a message to the cached thread of its ticket once, whichever of the mutation or the event came first. */
export function appendMessage(cache: Cache, ticketId: string, message: Message): void {
  cache.updateQuery({ query: TicketThreadQuery, variables: { id: ticketId } }, (data) => {
    const ticket = data?.ticket;
    if (!ticket || ticket.messages.edges.some((edge) => edge.node.id === message.id)) return data;
    ticket.messages.edges.push({
      cursor: message.id,
      node: message,
      __typename: "TicketMessagesConnectionEdge",
    } as never);
    ticket.messages.totalCount += 1;
    return data;
  });
}

function applyEvent(cache: Cache, event: TicketEvent | undefined): void {
  if (event?.kind === "MESSAGE_ADDED" && event.message) appendMessage(cache, event.ticketId, event.message);
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
    AuthPayload: embedded,
    BaseError: embedded,
    EmailDomainNotAllowedError: embedded,
    EmailTakenError: embedded,
    EmailVerificationRequiredError: embedded,
    FieldError: embedded,
    IceServer: embedded,
    InvalidCredentialsError: embedded,
    InvalidTokenError: embedded,
    InvalidTransitionError: embedded,
    InvalidVerificationCodeError: embedded,
    Invitation: embedded,
    JobKindStats: embedded,
    JoinSessionPayload: embedded,
    LiveSessionChatMessagesConnection: embedded,
    LiveSessionChatMessagesConnectionEdge: embedded,
    MutationAdmitAllParticipantsSuccess: embedded,
    MutationDenyAllParticipantsSuccess: embedded,
    NotFoundError: embedded,
    NotificationPreferences: embedded,
    PageInfo: embedded,
    ParticipantRemovedError: embedded,
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
    SessionAnalyticsSummary: embedded,
    SessionChatEvent: embedded,
    SessionEndedError: embedded,
    SessionFullError: embedded,
    SessionLinkInfo: embedded,
    SessionLockedError: embedded,
    SessionNotFoundError: embedded,
    SessionOptionDisabledError: embedded,
    SessionParticipantEvent: embedded,
    SessionStateEvent: embedded,
    SessionVisit: embedded,
    TicketClosedError: embedded,
    TicketEvent: embedded,
    TicketMessagesConnection: embedded,
    TicketMessagesConnectionEdge: embedded,
    TooManyAttemptsError: embedded,
    UploadRejectedError: embedded,
    ValidationError: embedded,
    VerificationCodeSent: embedded,
    WaitingRoomUpdate: embedded,
    WrongPasswordError: embedded,
    SessionAnalytics: (data) => (data.sessionId as string | undefined) ?? null,
    ParticipantAnalytics: (data) => (data.participantId as string | undefined) ?? null,
  },
  updates: {
    Mutation: {
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
    },
    Subscription: {
      ticketEvents(result, _args, cache) {
        applyEvent(cache, result.ticketEvents as TicketEvent | undefined);
      },
      ticketFeed(result, _args, cache) {
        applyEvent(cache, result.ticketFeed as TicketEvent | undefined);
      },
    },
  },
};

export { invalidateTicketLists };
