CREATE TABLE "chat_notify"."media_ready" (
	"media_id" text PRIMARY KEY NOT NULL,
	"thumbnail_url" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_notify"."user_feed" DROP CONSTRAINT "user_feed_event_id_feed_events_id_fk";
--> statement-breakpoint
CREATE INDEX "messages_media_idx" ON "chat_notify"."messages" USING btree (("media"->>'id')) WHERE "chat_notify"."messages"."media" is not null;