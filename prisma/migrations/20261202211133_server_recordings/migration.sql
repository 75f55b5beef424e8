-- CreateEnum
CREATE TYPE "RecordingSource" AS ENUM ('BROWSER', 'SERVER');

-- AlterEnum
ALTER TYPE "RecordingStatus" ADD VALUE 'PROCESSING';

-- AlterTable
ALTER TABLE "SessionRecording" ADD COLUMN     "source" "RecordingSource" NOT NULL DEFAULT 'BROWSER';
