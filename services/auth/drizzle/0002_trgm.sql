-- Fuzzy search on names (users.search): pg_trgm's similarity() and % on lower(name), served by a GIN index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "users_name_trgm_idx" ON "auth"."users" USING gin (lower("name") gin_trgm_ops);
