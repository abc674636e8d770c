CREATE SCHEMA "media";
--> statement-breakpoint
CREATE TABLE "media"."media_objects" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"kind" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "media_objects_owner_idx" ON "media"."media_objects" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "media_objects_sha256_idx" ON "media"."media_objects" USING btree ("sha256");