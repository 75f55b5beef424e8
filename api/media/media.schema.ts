import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { ValidationError } from "../errors.ts";
import { seatLimits } from "../sessions/seat-limits.ts";
import { sessionEvents } from "../sessions/session-events.schema.ts";
import { SessionTopologyEnum } from "../sessions/session-types.schema.ts";
import { SessionEndedError } from "../sessions/sessions.errors.ts";
import { inTheRoom } from "../sessions/sessions.scopes.ts";
import {
  MediaAlreadyPublishingError,
  MediaFeedNotFoundError,
  MediaNotNegotiatingError,
  MediaPublishNotAllowedError,
  MediaRefusedError,
  MediaServerUnavailableError,
} from "./media.errors.ts";
import {
  type MediaParticipantState,
  type MediaStreamDescription,
  type SessionMediaEventPayload,
  sessionMediaEventKinds,
} from "./media.events.ts";
import { MediaService } from "./media.service.ts";

/**
 * The SFU, brokered: participants send their SDP and ICE through these fields and the API talks to Janus for them
 * (api/media/media-broker.ts). Every field is for the session's host (or an admin) and its admitted participants,
 * and acts only in that session's room.
 */

for (const [ErrorClass, name] of [
  [MediaServerUnavailableError, "MediaServerUnavailableError"],
  [MediaPublishNotAllowedError, "MediaPublishNotAllowedError"],
  [MediaAlreadyPublishingError, "MediaAlreadyPublishingError"],
  [MediaNotNegotiatingError, "MediaNotNegotiatingError"],
] as const) {
  builder.objectType(ErrorClass as unknown as typeof MediaServerUnavailableError, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ErrorClass,
  });
}
builder.objectType(MediaFeedNotFoundError, {
  name: "MediaFeedNotFoundError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof MediaFeedNotFoundError,
  fields: (t) => ({ participantId: t.exposeID("participantId") }),
});
builder.objectType(MediaRefusedError, {
  name: "MediaRefusedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof MediaRefusedError,
  fields: (t) => ({ reason: t.exposeString("reason", { description: "The media server's own words." }) }),
});

const MediaStreamRef = builder.objectRef<MediaStreamDescription>("MediaStream").implement({
  description: "One m-line of a subscription: whose feed it carries.",
  fields: (t) => ({
    mid: t.exposeString("mid"),
    type: t.exposeString("type", { description: "audio, video or data." }),
    participantId: t.exposeID("participantId", { nullable: true }),
    active: t.exposeBoolean("active"),
  }),
});

const MediaAnswer = builder.objectRef<{ sdp: string }>("MediaAnswer").implement({
  fields: (t) => ({
    sdp: t.exposeString("sdp", { description: "The media server's SDP answer, with its candidates." }),
  }),
});

const MediaOffer = builder
  .objectRef<{ sdp: string | null; streams: MediaStreamDescription[] }>("MediaOffer")
  .implement({
    fields: (t) => ({
      sdp: t.exposeString("sdp", {
        nullable: true,
        description: "The media server's offer to answer with mediaSubscribeAnswer; null when nothing changed.",
      }),
      streams: t.field({ type: [MediaStreamRef], resolve: (offer) => offer.streams }),
    }),
  });

const MediaTargetEnum = builder.enumType("MediaTarget", { values: ["PUBLISHER", "SUBSCRIBER"] as const });

const IceCandidateInput = builder.inputType("IceCandidateInput", {
  fields: (t) => ({
    candidate: t.string({ required: true }),
    sdpMid: t.string(),
    sdpMLineIndex: t.int(),
  }),
});

const common = [ValidationError, SessionEndedError, MediaServerUnavailableError, MediaRefusedError];

const checkLength = (value: string, path: string) => {
  if (value.length > 64_000) throw ValidationError.field(path, "too long for a session description");
};

builder.mutationFields((t) => ({
  mediaPublish: t.field({
    type: MediaAnswer,
    description:
      "Sends the caller's media through the SFU: an SDP offer made after ICE gathering (simulcast when the offer " +
      "has three layers) → the media server's answer. The host and presenters in webinars; everyone in meetings.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...common, MediaPublishNotAllowedError, MediaAlreadyPublishingError], directResult: true },
    args: { sessionId: t.arg.id({ required: true }), offer: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => {
      checkLength(args.offer, "offer");
      return context.services.media.publish(context, String(args.sessionId), args.offer);
    },
  }),
  mediaSubscribe: t.field({
    type: MediaOffer,
    description:
      "Receives these participants' media (the whole set wanted, by participant id): the media server's offer, " +
      "to answer with mediaSubscribeAnswer.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...common, MediaFeedNotFoundError], directResult: true },
    args: { sessionId: t.arg.id({ required: true }), feeds: t.arg.idList({ required: true }) },
    resolve: (_root, args, context) => {
      if (args.feeds.length > 200) throw ValidationError.field("feeds", "at most 200 feeds");
      return context.services.media.subscribe(context, String(args.sessionId), args.feeds.map(String));
    },
  }),
  mediaSubscribeAnswer: t.boolean({
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...common, MediaNotNegotiatingError] },
    args: { sessionId: t.arg.id({ required: true }), answer: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => {
      checkLength(args.answer, "answer");
      return context.services.media.answer(context, String(args.sessionId), args.answer);
    },
  }),
  mediaConfigure: t.boolean({
    description: "Which simulcast layer (0 low … 2 high) of a feed to receive, or audio only: from quality logic.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...common, MediaNotNegotiatingError, MediaFeedNotFoundError] },
    args: {
      sessionId: t.arg.id({ required: true }),
      feed: t.arg.id({ required: true }),
      substream: t.arg.int(),
      audioOnly: t.arg.boolean(),
    },
    resolve: (_root, args, context) => {
      if (args.substream !== null && args.substream !== undefined && (args.substream < 0 || args.substream > 2))
        throw ValidationError.field("substream", "0, 1 or 2");
      return context.services.media.configure(context, String(args.sessionId), String(args.feed), {
        substream: args.substream,
        audioOnly: args.audioOnly,
      });
    },
  }),
  mediaTrickle: t.boolean({
    description: "ICE candidates of the caller's publishing or receiving connection; `completed` once gathered.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...common, MediaNotNegotiatingError] },
    args: {
      sessionId: t.arg.id({ required: true }),
      target: t.arg({ type: MediaTargetEnum, required: true }),
      candidates: t.arg({ type: [IceCandidateInput] }),
      completed: t.arg.boolean(),
    },
    resolve: (_root, args, context) => {
      const candidates = args.candidates ?? [];
      if (candidates.length > 50) throw ValidationError.field("candidates", "at most 50 at once");
      if (candidates.some((candidate) => candidate.candidate.length > 1000))
        throw ValidationError.field("candidates", "not ICE candidates");
      return context.services.media.trickle(
        context,
        String(args.sessionId),
        args.target,
        args.completed ? null : candidates,
      );
    },
  }),
  mediaState: t.boolean({
    description:
      "Tells everyone in the SFU room the caller's toggles (STATE on sessionMedia): their tracks only go silent " +
      "or black, so tiles learn mute and camera-off from this. The mesh sends the same on its data connections.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [SessionEndedError, MediaServerUnavailableError] },
    args: {
      sessionId: t.arg.id({ required: true }),
      audioMuted: t.arg.boolean({ required: true }),
      videoOff: t.arg.boolean({ required: true }),
      presenting: t.arg.boolean(),
    },
    resolve: (_root, args, context) =>
      context.services.media.setState(context, String(args.sessionId), {
        audioMuted: args.audioMuted,
        videoOff: args.videoOff,
        presenting: args.presenting ?? false,
      }),
  }),
  mediaLeave: t.boolean({
    description: "Stops sending and receiving through the SFU.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => context.services.media.leave(context, String(args.sessionId)),
  }),
}));

const MediaParticipantStateRef = builder.objectRef<MediaParticipantState>("MediaParticipantState").implement({
  description: "A participant's toggles in an SFU room, as they last told them (mediaState).",
  fields: (t) => ({
    participantId: t.exposeID("participantId"),
    audioMuted: t.exposeBoolean("audioMuted"),
    videoOff: t.exposeBoolean("videoOff"),
    presenting: t.exposeBoolean("presenting"),
  }),
});

const SessionMediaEventKindEnum = builder.enumType("SessionMediaEventKind", { values: sessionMediaEventKinds });

const SessionMediaEvent = builder.objectRef<SessionMediaEventPayload>("SessionMediaEvent").implement({
  fields: (t) => ({
    kind: t.field({ type: SessionMediaEventKindEnum, resolve: (event) => event.kind }),
    participantId: t.id({ nullable: true, resolve: (event) => event.participantId ?? null }),
    sdp: t.string({ nullable: true, resolve: (event) => event.sdp ?? null }),
    streams: t.field({ type: [MediaStreamRef], nullable: true, resolve: (event) => event.streams ?? null }),
    topology: t.field({ type: SessionTopologyEnum, nullable: true, resolve: (event) => event.topology ?? null }),
    state: t.field({
      type: MediaParticipantStateRef,
      nullable: true,
      description: "STATE: the participant's toggles.",
      resolve: (event) => event.state ?? null,
    }),
  }),
});

/** The session's media events for this caller, ending when their access ends (session over, removed). */
async function mediaEvents(
  context: Context,
  sessionId: string,
): Promise<AsyncIterableIterator<SessionMediaEventPayload>> {
  const me = (await context.services.sessions.chat.speaker(context, sessionId))?.id ?? null;
  const media = context.pubsub.subscribe("sessionMedia", sessionId);
  // Never yields: it ends after the event that closes this caller's access, and then so does this subscription.
  const access = await sessionEvents(context, sessionId, () => false, false);
  const end = async () => {
    await Promise.all([media.return?.(), access.return?.()]);
  };
  void access.next().then(end, end);
  const iterator: AsyncIterableIterator<SessionMediaEventPayload> = {
    async next() {
      for (;;) {
        const step = await media.next();
        if (step.done) {
          await end();
          return step;
        }
        if (!step.value.to || step.value.to === me) return step;
      }
    },
    async return() {
      await end();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

const CallCapacity = builder
  .objectRef<{
    mediaServer: boolean;
    meshSize: number;
    webinarAudience: number;
    meetingSeats: number;
    sfuFrom: number;
  }>("CallCapacity")
  .implement({
    description:
      "What calls carry here, for the scheduling form: peer-to-peer limits, or the media server's. The server " +
      "refuses more seats (SeatLimitError) at scheduling, joining and admitting.",
    fields: (t) => ({
      mediaServer: t.exposeBoolean("mediaServer", {
        description: "A media server (SFU) is up: large sessions use it.",
      }),
      meshSize: t.exposeInt("meshSize", {
        description: "Participants (host included) a peer-to-peer meeting carries (measured).",
      }),
      webinarAudience: t.exposeInt("webinarAudience", {
        description: "Most webinar seats: peer-to-peer as measured, or SFU_WEBINAR_MAX_SEATS with a media server.",
      }),
      meetingSeats: t.exposeInt("meetingSeats", {
        description: "Most seats of a meeting (host not counted): the mesh's, or the media server room's.",
      }),
      sfuFrom: t.exposeInt("sfuFrom", { description: "Meetings move to the media server from this many people." }),
    }),
  });

builder.queryFields((t) => ({
  callCapacity: t.field({
    type: CallCapacity,
    authScopes: { agent: true },
    resolve: (_root, _args, context) => {
      const mediaServer = context.services.media.broker.available();
      const seats = seatLimits(context.services.sessions.seats, mediaServer);
      return {
        mediaServer,
        meshSize: context.services.sessions.seats.meshSize,
        webinarAudience: seats.webinar,
        meetingSeats: seats.meeting,
        sfuFrom: MediaService.MESH_LIMIT + 1,
      };
    },
  }),
  mediaStates: t.field({
    type: [MediaParticipantStateRef],
    description: "The toggles of everyone in the SFU room who told them (then follow STATE on sessionMedia).",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => context.services.media.states(context, String(args.sessionId)),
  }),
  mediaPublishers: t.idList({
    description: "Participants whose media is up in the session's SFU room now (then follow sessionMedia).",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => context.services.media.publishers(context, String(args.sessionId)),
  }),
}));

builder.subscriptionFields((t) => ({
  sessionMedia: t.field({
    type: SessionMediaEvent,
    description:
      "The session's SFU events: publishers joined and left, the active speaker, a media-server restart (publish " +
      "and subscribe again), a topology change, and the caller's own subscription renegotiations.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) => mediaEvents(context, String(args.sessionId)),
    resolve: (event) => event,
  }),
}));

builder.prismaObjectField("LiveSession", "mediaNotice", (t) =>
  t.string({
    nullable: true,
    description:
      "For the host: why a large session runs peer-to-peer now (the media server is configured but unreachable) and " +
      "what that carries; null when there is nothing to say.",
    authScopes: (session) => ({ sessionManager: session }),
    select: { status: true, type: true, topology: true, maxParticipants: true },
    resolve: (session, _args, context) => {
      const broker = context.services.media.broker;
      if (session.status !== "LIVE" || session.topology === "SFU" || !broker.configured() || broker.available())
        return null;
      if (session.type === "WEBINAR")
        return `The media server is unreachable: this webinar runs peer-to-peer for now, which carries about ${context.services.sessions.seats.webinarAudience} viewers.`;
      if (session.maxParticipants > MediaService.MESH_LIMIT)
        return `The media server is unreachable: this session runs peer-to-peer for now, which carries about ${context.services.sessions.seats.meshSize} people.`;
      return null;
    },
  }),
);
