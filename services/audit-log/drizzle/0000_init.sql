CREATE SCHEMA "audit_log";
--> statement-breakpoint
CREATE TABLE "audit_log"."events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"actor" text,
	"subject" text,
	"request_id" text,
	"ip" text,
	"user_agent" text,
	"data" jsonb NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "events_type_at_idx" ON "audit_log"."events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "events_actor_at_idx" ON "audit_log"."events" USING btree ("actor","at");