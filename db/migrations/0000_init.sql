CREATE TABLE "click_flush_batches" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"links" integer NOT NULL,
	"clicks" bigint NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "id_allocator" (
	"name" text PRIMARY KEY NOT NULL,
	"next_id" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "urls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"short_code" varchar(32) NOT NULL,
	"original_url" text NOT NULL,
	"clicks" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "urls_short_code_key" UNIQUE("short_code")
);
--> statement-breakpoint
CREATE INDEX "urls_clicks_idx" ON "urls" USING btree ("clicks" DESC NULLS LAST);