import { builder } from "../builder.ts";
import { InvalidTransitionError, NotFoundError } from "../errors.ts";
import { JobStatus } from "../generated/prisma/enums.ts";
import type { JobKindStats } from "./job-admin.service.ts";

const JobStatusEnum = builder.enumType(JobStatus, { name: "JobStatus" });

builder.prismaObject("Job", {
  description: "A durable background job (an email, a push, a reminder). Admins only; the payload is not exposed.",
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.exposeString("kind"),
    status: t.expose("status", { type: JobStatusEnum }),
    attempts: t.exposeInt("attempts"),
    maxAttempts: t.exposeInt("maxAttempts"),
    lastError: t.exposeString("lastError", { nullable: true }),
    runAt: t.expose("runAt", { type: "DateTime", description: "When it runs next (pending) or ran last." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

const JobKindStatsRef = builder.objectRef<JobKindStats>("JobKindStats").implement({
  description: "How many jobs of one kind wait, run or have failed.",
  fields: (t) => ({
    kind: t.exposeString("kind"),
    pending: t.exposeInt("pending"),
    running: t.exposeInt("running"),
    failed: t.exposeInt("failed"),
  }),
});

builder.queryFields((t) => ({
  jobStats: t.field({
    type: [JobKindStatsRef],
    description: "Pending, running and failed jobs per kind. Admins only.",
    authScopes: { admin: true },
    resolve: (_root, _args, context) => context.services.jobAdmin.stats(),
  }),
  failedJobs: t.prismaField({
    type: ["Job"],
    description: "Jobs that used up their attempts, most recent first. Admins only.",
    authScopes: { admin: true },
    args: {
      kind: t.arg.string({ description: "Only this kind, e.g. `email.ticketCreated`." }),
      first: t.arg.int({ defaultValue: 50, description: "At most 200." }),
    },
    resolve: (query, _root, args, context) =>
      context.prisma.job.findMany({
        ...query,
        where: context.services.jobAdmin.failedWhere(args.kind),
        orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
        take: Math.max(1, Math.min(args.first ?? 50, 200)),
      }),
  }),
}));

builder.mutationFields((t) => ({
  retryJob: t.prismaField({
    type: "Job",
    description: "Queues a failed job again with a fresh set of attempts. Admins only.",
    authScopes: { admin: true },
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, context) => {
      const job = await context.services.jobAdmin.retry(String(id));
      return context.prisma.job.findUniqueOrThrow({ ...query, where: { id: job.id } });
    },
  }),
}));
