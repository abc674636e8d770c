CREATE SCHEMA "face_match";
--> statement-breakpoint
CREATE TABLE "face_match"."identities" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "identities_owner_idx" ON "face_match"."identities" USING btree ("owner_id");