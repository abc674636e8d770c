-- seq is assigned by the writer holding the chain head's lock (no holes), not by a sequence.
ALTER TABLE "audit_log"."events" ALTER COLUMN "seq" DROP DEFAULT;--> statement-breakpoint
DROP SEQUENCE IF EXISTS "audit_log"."events_seq_seq";--> statement-breakpoint
-- The genesis head: no row yet, previous hash 64 zeros.
INSERT INTO "audit_log"."chain_head" ("id", "seq", "hash")
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT ("id") DO NOTHING;
