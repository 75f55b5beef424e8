import { builder } from "../builder.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import { RecordingSource, RecordingStatus } from "../generated/prisma/enums.ts";
import { SessionOptionDisabledError } from "../sessions/sessions.errors.ts";
import { RecordingClosedError, RecordingNotOnError } from "./recordings.errors.ts";

builder.objectType(RecordingNotOnError, {
  name: "RecordingNotOnError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RecordingNotOnError,
});
builder.objectType(RecordingClosedError, {
  name: "RecordingClosedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RecordingClosedError,
  fields: (t) => ({ status: t.exposeString("status") }),
});

const RecordingStatusEnum = builder.enumType(RecordingStatus, { name: "RecordingStatus" });
const RecordingSourceEnum = builder.enumType(RecordingSource, {
  name: "RecordingSource",
  description: "BROWSER: uploaded by the host's browser; SERVER: recorded by the media server (SFU sessions).",
});

builder.prismaObject("SessionRecording", {
  description:
    "A recording of a live session: made in the host's browser, or by the media server for sessions through the SFU " +
    "(PROCESSING while it is converted, then COMPLETE with its download link). Host and admins.",
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: RecordingStatusEnum }),
    source: t.expose("source", { type: RecordingSourceEnum }),
    mimeType: t.exposeString("mimeType"),
    size: t.float({ description: "Bytes stored.", resolve: (recording) => Number(recording.size) }),
    chunkCount: t.exposeInt("chunkCount", { description: "Chunks stored; the next upload carries this number." }),
    sha256: t.exposeString("sha256", { nullable: true, description: "Set when COMPLETE." }),
    failureReason: t.exposeString("failureReason", { nullable: true }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    durationMs: t.exposeInt("durationMs", { nullable: true }),
    startedBy: t.relation("startedBy"),
    uploadPath: t.string({
      description: "Where chunks go: POST <uploadPath>/<seq> with the host's access token.",
      resolve: (recording) => `/recordings/${recording.id}/chunks`,
    }),
    url: t.string({
      nullable: true,
      description: "A short-lived signed download link (attachment) once COMPLETE.",
      resolve: (recording, _args, context) => context.services.recordings.downloadUrl(recording),
    }),
  }),
});

builder.prismaObjectField("LiveSession", "recordings", (t) =>
  t.prismaField({
    type: ["SessionRecording"],
    description: "Recordings, oldest first. Host and admins.",
    authScopes: (session) => ({ sessionManager: session }),
    resolve: (query, session, _args, context) =>
      context.prisma.sessionRecording.findMany({
        ...query,
        where: { sessionId: session.id },
        orderBy: [{ startedAt: "asc" }, { id: "asc" }],
      }),
  }),
);

builder.mutationFields((t) => ({
  startSessionRecording: t.withAuth({ agent: true }).prismaField({
    type: "SessionRecording",
    description:
      "The host starts a recording of a live session whose recording is on (setSessionRecording, with consent). " +
      "Then POST each chunk to /recordings/<id>/chunks/<seq> and call finishSessionRecording.",
    errors: {
      types: [NotFoundError, ValidationError, InvalidTransitionError, SessionOptionDisabledError, RecordingNotOnError],
      directResult: true,
    },
    args: { sessionId: t.arg.id({ required: true }), mimeType: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const recording = await context.services.recordings.start(context.viewer, String(args.sessionId), args.mimeType);
      return context.prisma.sessionRecording.findUniqueOrThrow({ ...query, where: { id: recording.id } });
    },
  }),
  finishSessionRecording: t.withAuth({ agent: true }).prismaField({
    type: "SessionRecording",
    description: "Ends a recording: COMPLETE with size and SHA-256 (FAILED when nothing was uploaded).",
    errors: { types: [NotFoundError, RecordingClosedError], directResult: true },
    args: { recordingId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const recording = await context.services.recordings.finish(context.viewer, String(args.recordingId));
      return context.prisma.sessionRecording.findUniqueOrThrow({ ...query, where: { id: recording.id } });
    },
  }),
}));
