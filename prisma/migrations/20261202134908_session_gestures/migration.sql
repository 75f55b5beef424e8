-- AlterTable
ALTER TABLE "LiveSession" ADD COLUMN     "handsRaisedCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reactionsCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "SessionParticipant" ADD COLUMN     "handRaisedAt" TIMESTAMP(3);
