-- CreateEnum
CREATE TYPE "LiveSessionType" AS ENUM ('WEBINAR', 'SUPPORT_CALL', 'TRAINING', 'CONSULTATION');

-- CreateEnum
CREATE TYPE "LiveSessionStatus" AS ENUM ('SCHEDULED', 'LIVE', 'ENDED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ParticipantRole" AS ENUM ('HOST', 'PRESENTER', 'ATTENDEE');

-- CreateEnum
CREATE TYPE "ParticipantStatus" AS ENUM ('WAITING', 'ADMITTED', 'DENIED', 'REMOVED', 'LEFT');

-- CreateTable
CREATE TABLE "LiveSession" (
    "id" TEXT NOT NULL,
    "publicId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "agenda" TEXT NOT NULL DEFAULT '',
    "type" "LiveSessionType" NOT NULL,
    "status" "LiveSessionStatus" NOT NULL DEFAULT 'SCHEDULED',
    "scheduledStartAt" TIMESTAMP(3) NOT NULL,
    "scheduledEndAt" TIMESTAMP(3) NOT NULL,
    "actualStartAt" TIMESTAMP(3),
    "actualEndAt" TIMESTAMP(3),
    "cancelledAt" TIMESTAMP(3),
    "maxParticipants" INTEGER NOT NULL,
    "waitingRoom" BOOLEAN NOT NULL DEFAULT false,
    "requiresApproval" BOOLEAN NOT NULL DEFAULT false,
    "passwordHash" TEXT,
    "allowedEmailDomains" TEXT[],
    "emailVerificationRequired" BOOLEAN NOT NULL DEFAULT false,
    "recordingEnabled" BOOLEAN NOT NULL DEFAULT false,
    "recording" BOOLEAN NOT NULL DEFAULT false,
    "chatEnabled" BOOLEAN NOT NULL DEFAULT true,
    "screenShareEnabled" BOOLEAN NOT NULL DEFAULT true,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "reminderOffsets" INTEGER[],
    "sequence" INTEGER NOT NULL DEFAULT 0,
    "roomId" TEXT NOT NULL,
    "linkTokenHash" TEXT NOT NULL,
    "linkTokenEncrypted" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "ticketId" TEXT,
    "escalationOfTicketId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LiveSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionInvite" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "removedAt" TIMESTAMP(3),

    CONSTRAINT "SessionInvite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionParticipant" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "userId" TEXT,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "ParticipantRole" NOT NULL DEFAULT 'ATTENDEE',
    "status" "ParticipantStatus" NOT NULL,
    "tokenHash" TEXT,
    "peerId" TEXT NOT NULL,
    "recordingConsentAt" TIMESTAMP(3),
    "firstJoinedAt" TIMESTAMP(3) NOT NULL,
    "admittedAt" TIMESTAMP(3),
    "leftAt" TIMESTAMP(3),
    "removedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionParticipant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionVisit" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "participantId" TEXT NOT NULL,
    "joinedAt" TIMESTAMP(3) NOT NULL,
    "leftAt" TIMESTAMP(3),

    CONSTRAINT "SessionVisit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionChatMessage" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "participantId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionChatMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionEmailVerification" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "verifiedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionEmailVerification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LiveSession_publicId_key" ON "LiveSession"("publicId");

-- CreateIndex
CREATE UNIQUE INDEX "LiveSession_roomId_key" ON "LiveSession"("roomId");

-- CreateIndex
CREATE UNIQUE INDEX "LiveSession_linkTokenHash_key" ON "LiveSession"("linkTokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "LiveSession_escalationOfTicketId_key" ON "LiveSession"("escalationOfTicketId");

-- CreateIndex
CREATE INDEX "LiveSession_hostId_scheduledStartAt_idx" ON "LiveSession"("hostId", "scheduledStartAt" DESC);

-- CreateIndex
CREATE INDEX "LiveSession_status_scheduledStartAt_idx" ON "LiveSession"("status", "scheduledStartAt" DESC);

-- CreateIndex
CREATE INDEX "LiveSession_scheduledStartAt_id_idx" ON "LiveSession"("scheduledStartAt" DESC, "id");

-- CreateIndex
CREATE INDEX "LiveSession_ticketId_idx" ON "LiveSession"("ticketId");

-- CreateIndex
CREATE UNIQUE INDEX "SessionInvite_sessionId_email_key" ON "SessionInvite"("sessionId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "SessionParticipant_tokenHash_key" ON "SessionParticipant"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "SessionParticipant_peerId_key" ON "SessionParticipant"("peerId");

-- CreateIndex
CREATE INDEX "SessionParticipant_sessionId_status_idx" ON "SessionParticipant"("sessionId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "SessionParticipant_sessionId_email_key" ON "SessionParticipant"("sessionId", "email");

-- CreateIndex
CREATE INDEX "SessionVisit_sessionId_joinedAt_idx" ON "SessionVisit"("sessionId", "joinedAt");

-- CreateIndex
CREATE INDEX "SessionVisit_participantId_leftAt_idx" ON "SessionVisit"("participantId", "leftAt");

-- CreateIndex
CREATE INDEX "SessionChatMessage_sessionId_createdAt_id_idx" ON "SessionChatMessage"("sessionId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "SessionEmailVerification_sessionId_email_createdAt_idx" ON "SessionEmailVerification"("sessionId", "email", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "LiveSession" ADD CONSTRAINT "LiveSession_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LiveSession" ADD CONSTRAINT "LiveSession_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LiveSession" ADD CONSTRAINT "LiveSession_escalationOfTicketId_fkey" FOREIGN KEY ("escalationOfTicketId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionInvite" ADD CONSTRAINT "SessionInvite_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionParticipant" ADD CONSTRAINT "SessionParticipant_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionVisit" ADD CONSTRAINT "SessionVisit_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionVisit" ADD CONSTRAINT "SessionVisit_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "SessionParticipant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionChatMessage" ADD CONSTRAINT "SessionChatMessage_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionChatMessage" ADD CONSTRAINT "SessionChatMessage_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "SessionParticipant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionEmailVerification" ADD CONSTRAINT "SessionEmailVerification_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
