import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { PubSub } from "../pubsub.ts";
import type { TicketService } from "../tickets/tickets.service.ts";
import { type SessionAccessOptions, SessionAccessService } from "./session-access.service.ts";
import { SessionChatService } from "./session-chat.service.ts";
import { SessionGestureService } from "./session-gestures.service.ts";
import { HostControlService } from "./session-host.service.ts";
import { type JoinLimits, SessionJoinService } from "./session-join.service.ts";
import { SessionSchedulingService } from "./session-scheduling.service.ts";
import { SessionEvents } from "./sessions.store.ts";
import { TicketCallService } from "./ticket-calls.service.ts";

export interface SessionLimits extends JoinLimits {
  chatMessagesPerMinute: number;
  reactionsPerMinute: number;
  /** A webinar's seat limit (WEBINAR_MAX_PARTICIPANTS); other session types keep MAX_PARTICIPANTS_LIMIT. */
  webinarMaxParticipants: number;
}

/**
 * The sessions domain: access (who manages a session, whose token or peer id this is, the link) on the service
 * itself, and one part per job, each with its own rules.
 */
export class SessionService extends SessionAccessService {
  readonly scheduling: SessionSchedulingService;
  readonly joining: SessionJoinService;
  readonly hostControls: HostControlService;
  readonly chat: SessionChatService;
  readonly gestures: SessionGestureService;
  readonly ticketCalls: TicketCallService;
  readonly events: SessionEvents;

  constructor(
    prisma: PrismaClient,
    pubsub: PubSub,
    clock: Clock,
    tickets: TicketService,
    options: SessionAccessOptions & {
      limits: SessionLimits;
      /** The app's shared rate limiter (Redis in server mode), so every instance counts the same budgets. */
      rateLimits: RateLimits;
    },
  ) {
    super(prisma, options);
    const events = new SessionEvents(prisma, pubsub);
    this.events = events;
    const { limits, rateLimits } = options;
    this.scheduling = new SessionSchedulingService(prisma, clock, this, events, {
      webinarMaxParticipants: limits.webinarMaxParticipants,
    });
    this.joining = new SessionJoinService(prisma, clock, events, {
      limits,
      rateLimits,
      sealCode: (code) => this.sealVerificationCode(code),
    });
    this.hostControls = new HostControlService(prisma, clock, this, events);
    this.chat = new SessionChatService(prisma, clock, events, {
      messagesPerMinute: limits.chatMessagesPerMinute,
      rateLimits,
    });
    this.gestures = new SessionGestureService(prisma, clock, this.chat, events, {
      reactionsPerMinute: limits.reactionsPerMinute,
      rateLimits,
    });
    this.ticketCalls = new TicketCallService(prisma, clock, this, this.scheduling, tickets);
  }
}
