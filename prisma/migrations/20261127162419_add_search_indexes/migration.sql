-- Full-text search indexes (expression GIN indexes; Prisma's schema language cannot express them, and its diff
-- leaves expression indexes it does not know alone). The search query in tickets.service.ts uses these exact
-- expressions so PostgreSQL can use them.
CREATE INDEX IF NOT EXISTS "Ticket_search_idx" ON "Ticket" USING GIN (to_tsvector('english'::regconfig, subject || ' ' || description));
CREATE INDEX IF NOT EXISTS "TicketMessage_search_idx" ON "TicketMessage" USING GIN (to_tsvector('english'::regconfig, body));
