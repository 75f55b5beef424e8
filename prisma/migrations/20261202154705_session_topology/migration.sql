-- CreateEnum
CREATE TYPE "SessionTopology" AS ENUM ('PEER_TO_PEER', 'SFU');

-- AlterTable
ALTER TABLE "LiveSession" ADD COLUMN     "topology" "SessionTopology" NOT NULL DEFAULT 'PEER_TO_PEER';
