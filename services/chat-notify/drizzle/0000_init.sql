CREATE SCHEMA "chat_notify";
--> statement-breakpoint
CREATE TABLE "chat_notify"."rooms" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
