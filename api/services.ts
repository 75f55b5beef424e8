import { resolve } from "node:path";
import { AnalyticsService } from "./analytics/analytics.service.ts";
import { registerAccountEmailJobs } from "./auth/account.jobs.ts";
import { AccountService } from "./auth/account.service.ts";
import { AuthService } from "./auth/auth.service.ts";
import type { Clock } from "./clock.ts";
import type { Env } from "./env.ts";
import { FileLinks } from "./files/file-links.ts";
import type { FileStore } from "./files/file-store.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { JobAdminService } from "./jobs/job-admin.service.ts";
import { JobWorker } from "./jobs/job-worker.ts";
import { MediaService } from "./media/media.service.ts";
import { MediaBroker } from "./media/media-broker.ts";
import { type MediaRooms, MediaRouter } from "./media/media-router.ts";
import type { MediaServer } from "./media/media-server.ts";
import { SfuRecordings } from "./media/sfu-recording.ts";
import { createNotifications, type Notifications } from "./notifications/notifications.service.ts";
import type { VapidKeys } from "./notifications/push.service.ts";
import type { Logger } from "./ops/logger.ts";
import type { RateLimits } from "./ops/rate-limit.ts";
import type { RedisConnections } from "./ops/redis.ts";
import type { PubSub } from "./pubsub.ts";
import { RecordingService } from "./recordings/recordings.service.ts";
import { registerSessionNotificationJobs } from "./sessions/session-notifications.ts";
import { registerSessionReactionJobs } from "./sessions/session-reactions.jobs.ts";
import { SessionService } from "./sessions/sessions.service.ts";
import { IceService, iceConfigFromEnv } from "./signaling/ice.ts";
import { registerTeamEmailJobs } from "./team/team.jobs.ts";
import { TeamService } from "./team/team.service.ts";
import { TicketService } from "./tickets/tickets.service.ts";
import { WorkspaceService } from "./workspace/workspace.service.ts";

export interface Services {
  auth: AuthService;
  /** A user's own account: password reset and change, email change, sign-ins. */
  accounts: AccountService;
  tickets: TicketService;
  files: FileStore;
  fileLinks: FileLinks;
  sessions: SessionService;
  analytics: AnalyticsService;
  /** Runs durable jobs; app.ts starts it unless JOBS_WORKER=off. Domains register their handlers on it here. */
  jobs: JobWorker;
  jobAdmin: JobAdminService;
  notifications: Notifications;
  ice: IceService;
  /** Shared (Redis) or in-process rate limits; see api/ops/rate-limit.ts. */
  rateLimits: RateLimits;
  recordings: RecordingService;
  /** Admins running the team: invitations, roles, deactivation. */
  team: TeamService;
  /** The SFU (Janus), brokered for the participants; `media.broker.available()` is false without a media server. */
  media: MediaService;
  /** The workspace's settings (name, logo, colour, hours, categories), its status and first-run checklist. */
  workspace: WorkspaceService;
}

export function createServices(
  /** The media server (api/media/janus-process.ts), or null: every session stays peer-to-peer. */
  mediaServer: MediaServer | null,
  deps: {
    env: Env;
    prisma: PrismaClient;
    pubsub: PubSub;
    files: FileStore;
    clock: Clock;
    authSecret: string;
    vapid: VapidKeys;
    rateLimits: RateLimits;
    /** The app's logger: what services report goes where the app logs, at its level. */
    logger: Logger;
    /** Server mode's Redis: SFU rooms are owned by one instance and requests routed there (media-router.ts). */
    redis?: RedisConnections | null;
  },
): Services {
  const { env, prisma, pubsub, files, clock, logger } = deps;
  const auth = new AuthService(
    prisma,
    {
      secret: deps.authSecret,
      accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
      refreshTokenTtlMs: env.REFRESH_TOKEN_TTL,
      publicUrl: env.PUBLIC_URL,
      sessionCacheMs: env.AUTH_SESSION_CACHE,
    },
    clock,
    pubsub,
  );
  const accounts = new AccountService(prisma, auth, clock, { secret: deps.authSecret });
  const tickets = new TicketService(prisma, pubsub, files, clock);
  // Every broker (one per Janus server in server mode) asks the recordings which folder a new room records into.
  const brokerFor = (server: MediaServer | null) => {
    const created = new MediaBroker(server, {
      pubsub,
      logger,
      room: { publishers: env.SFU_MAX_PUBLISHERS, bitrate: env.SFU_BITRATE },
    });
    created.setRecordingFolder((sessionId) => sfuRecordings.openFolderOf(sessionId));
    return created;
  };
  const broker = brokerFor(mediaServer);
  const sessions = new SessionService(prisma, pubsub, clock, tickets, {
    seats: {
      mediaServer: () => broker.available(),
      sfuPublishers: env.SFU_MAX_PUBLISHERS,
      sfuWebinarSeats: env.SFU_WEBINAR_MAX_SEATS,
      meshSize: env.P2P_MAX_MESH,
      webinarAudience: env.P2P_MAX_WEBINAR_AUDIENCE,
    },
    secret: deps.authSecret,
    publicUrl: env.PUBLIC_URL,
    authenticateUser: (token) => auth.authenticate(token),
    rateLimits: deps.rateLimits,
    limits: {
      verificationCodeTtlMs: env.SESSION_VERIFICATION_CODE_TTL,
      joinAttemptsPer10Min: env.SESSION_JOIN_RATE_LIMIT,
      passwordFailuresPer15Min: env.SESSION_PASSWORD_RATE_LIMIT,
      verificationRequestsPer15Min: env.SESSION_VERIFICATION_RATE_LIMIT,
      chatMessagesPerMinute: env.SESSION_CHAT_RATE_LIMIT,
      reactionsPerMinute: env.SESSION_REACTION_RATE_LIMIT,
    },
  });
  const fileLinks = new FileLinks(deps.authSecret, clock);
  const recordings = new RecordingService(
    prisma,
    clock,
    fileLinks,
    resolve(env.UPLOADS_DIR ?? env.DATA_DIR, "recordings"),
    {
      chunkMaxBytes: env.RECORDING_CHUNK_MAX_BYTES,
      maxBytes: env.RECORDING_MAX_BYTES,
    },
  );
  const jobs = new JobWorker(prisma, clock, {
    concurrency: env.JOBS_CONCURRENCY,
    pollIntervalMs: env.JOBS_POLL_INTERVAL,
    leaseMs: env.JOBS_LEASE,
    backoffBaseMs: env.JOBS_BACKOFF_BASE,
    backoffMaxMs: env.JOBS_BACKOFF_MAX,
    onError: (error, job) => logger.warn({ err: error, job }, "job failed"),
  });
  const notifications = createNotifications({ env, prisma, clock, worker: jobs, vapid: deps.vapid });
  registerSessionReactionJobs(jobs, {
    sessions,
    recordings,
    finishServerRecording: (recordingId, run) => media.recorder?.finish(recordingId, run) ?? Promise.resolve(),
  });
  registerAccountEmailJobs(jobs, { prisma, mailer: notifications.mailer, accounts, publicUrl: env.PUBLIC_URL });
  const team = new TeamService(prisma, auth, tickets, clock, { secret: deps.authSecret, publicUrl: env.PUBLIC_URL });
  registerTeamEmailJobs(jobs, { prisma, mailer: notifications.mailer, team });
  registerSessionNotificationJobs(jobs, {
    prisma,
    clock,
    mailer: notifications.mailer,
    sessions,
    publicUrl: env.PUBLIC_URL,
  });
  // Server mode: each room has one owning instance; the others forward to it. Embedded: the broker directly.
  const rooms: MediaRooms =
    deps.redis && mediaServer
      ? new MediaRouter(broker, { redis: deps.redis, pubsub, logger, prisma, mediaServer, brokerFor })
      : broker;
  const sfuRecordings = new SfuRecordings({
    prisma,
    recordings,
    rooms,
    recordingsDir: mediaServer?.recordingsDir ?? null,
    logger,
  });
  const media = new MediaService(
    prisma,
    broker,
    { speaker: (actor, sessionId) => sessions.chat.speaker(actor, sessionId), events: sessions.events },
    pubsub,
    clock,
    (error) => logger.warn({ err: error }, "a session's media reaction failed"),
    sfuRecordings,
    rooms,
  );
  const workspace = new WorkspaceService(prisma, files, notifications.mailer, clock, {
    publicUrl: env.PUBLIC_URL,
    turnConfigured: env.TURN_URLS.length > 0 && Boolean(env.TURN_SECRET),
    pushKeys: Boolean(deps.vapid.publicKey && deps.vapid.privateKey),
    mediaServer,
  });
  notifications.mailer.useBrand(() => workspace.brand());
  return {
    auth,
    accounts,
    tickets,
    files,
    fileLinks,
    sessions,
    analytics: new AnalyticsService(prisma, clock),
    jobs,
    jobAdmin: new JobAdminService(prisma, clock),
    notifications,
    ice: new IceService(iceConfigFromEnv(env), clock),
    rateLimits: deps.rateLimits,
    recordings,
    team,
    media,
    workspace,
  };
}
