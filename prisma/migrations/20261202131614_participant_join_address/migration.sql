-- AlterTable
ALTER TABLE "SessionParticipant" ADD COLUMN     "joinAddressHash" TEXT;

-- CreateIndex
CREATE INDEX "SessionParticipant_sessionId_joinAddressHash_idx" ON "SessionParticipant"("sessionId", "joinAddressHash");
