-- CreateTable
CREATE TABLE "WorkspaceSettings" (
    "id" TEXT NOT NULL DEFAULT 'workspace',
    "name" TEXT NOT NULL DEFAULT 'Live Support',
    "accentColor" TEXT NOT NULL DEFAULT '#1d4ed8',
    "logoSha256" TEXT,
    "logoMimeType" TEXT,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "businessHours" JSONB NOT NULL DEFAULT '[]',
    "ticketCategories" JSONB NOT NULL DEFAULT '[]',
    "testEmailAcceptedAt" TIMESTAMP(3),
    "checklistDismissedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WorkspaceSettings_pkey" PRIMARY KEY ("id")
);
