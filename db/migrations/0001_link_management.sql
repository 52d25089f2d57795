CREATE TABLE "api_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_key" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_role_check" CHECK ("api_keys"."role" IN ('admin', 'editor', 'viewer'))
);
--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "max_visits" integer;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "visits" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "password_hash" text;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "title" text;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "forward_query" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "owner_key_id" bigint;--> statement-breakpoint
ALTER TABLE "urls" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "urls_owner_id_idx" ON "urls" USING btree ("owner_key_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "urls_tags_idx" ON "urls" USING gin ("tags");