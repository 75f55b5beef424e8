-- CreateTable
CREATE TABLE "StreamEvent" (
    "stream" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "key" TEXT,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StreamEvent_pkey" PRIMARY KEY ("stream","seq")
);

-- CreateTable
CREATE TABLE "StreamHead" (
    "stream" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "trimmedThrough" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "StreamHead_pkey" PRIMARY KEY ("stream")
);

-- CreateIndex
CREATE INDEX "StreamEvent_stream_key_seq_idx" ON "StreamEvent"("stream", "key", "seq");

-- CreateIndex
CREATE INDEX "StreamEvent_createdAt_idx" ON "StreamEvent"("createdAt");
