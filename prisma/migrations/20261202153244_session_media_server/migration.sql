-- AlterTable
ALTER TABLE "LiveSession" ADD COLUMN     "mediaServerUrl" TEXT;
