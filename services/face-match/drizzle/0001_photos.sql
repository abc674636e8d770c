CREATE TABLE "face_match"."photos" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"box" jsonb NOT NULL,
	"descriptor" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "face_match"."photos" ADD CONSTRAINT "photos_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "face_match"."identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "photos_owner_idx" ON "face_match"."photos" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "photos_identity_idx" ON "face_match"."photos" USING btree ("identity_id");