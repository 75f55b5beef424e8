-- AlterTable
ALTER TABLE "SessionParticipant" ADD COLUMN     "mediaAudioMuted" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mediaPresenting" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mediaStateAt" TIMESTAMP(3),
ADD COLUMN     "mediaVideoOff" BOOLEAN NOT NULL DEFAULT false;
