CREATE TABLE "paywire"."idempotency_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"key" text NOT NULL,
	"operation" text NOT NULL,
	"request_hash" text NOT NULL,
	"stripe_idempotency_key" text NOT NULL,
	"account_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"response_status" integer,
	"response" jsonb,
	"stripe_object_id" text,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_environment_check" CHECK ("environment" in ('test', 'live')),
	CONSTRAINT "idempotency_keys_status_check" CHECK ("paywire"."idempotency_keys"."status" in ('pending', 'completed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "idempotency_keys_env_key_uq" ON "paywire"."idempotency_keys" USING btree ("environment","key");