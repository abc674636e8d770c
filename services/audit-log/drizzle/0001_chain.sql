CREATE TABLE "audit_log"."chain_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "chain_head_single_row" CHECK ("audit_log"."chain_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "audit_log"."checkpoints" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"through_seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"deleted" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "checkpoints_single_row" CHECK ("audit_log"."checkpoints"."id" = 1)
);
--> statement-breakpoint
DROP INDEX "audit_log"."events_type_at_idx";--> statement-breakpoint
DROP INDEX "audit_log"."events_actor_at_idx";--> statement-breakpoint
ALTER TABLE "audit_log"."events" ALTER COLUMN "seq" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "audit_log"."events" ADD COLUMN "prev_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_log"."events" ADD COLUMN "hash" text NOT NULL;--> statement-breakpoint
CREATE INDEX "events_subject_type_seq_idx" ON "audit_log"."events" USING btree ("subject","type","seq");--> statement-breakpoint
CREATE INDEX "events_actor_seq_idx" ON "audit_log"."events" USING btree ("actor","seq");--> statement-breakpoint
CREATE INDEX "events_type_seq_idx" ON "audit_log"."events" USING btree ("type","seq");--> statement-breakpoint
CREATE INDEX "events_at_idx" ON "audit_log"."events" USING btree ("at");