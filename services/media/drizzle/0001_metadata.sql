CREATE TABLE "media"."blobs" (
	"sha256" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"refs" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "media"."url_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"retire_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "filename" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "room_id" text;--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "width" integer;--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "height" integer;--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "thumbnail_sha256" text;--> statement-breakpoint
ALTER TABLE "media"."media_objects" ADD COLUMN "thumbnail_size" bigint;--> statement-breakpoint
CREATE INDEX "blobs_unreferenced_idx" ON "media"."blobs" USING btree ("updated_at") WHERE "media"."blobs"."refs" = 0;--> statement-breakpoint
CREATE INDEX "media_objects_owner_kind_idx" ON "media"."media_objects" USING btree ("owner_id","kind","created_at");