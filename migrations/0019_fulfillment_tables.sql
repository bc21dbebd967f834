CREATE TABLE "paywire"."alert_settings" (
	"environment" text PRIMARY KEY NOT NULL,
	"payment_failures" integer DEFAULT 3 NOT NULL,
	"webhook_failures" integer DEFAULT 10 NOT NULL,
	"webhook_backlog" integer DEFAULT 100 NOT NULL,
	"backlog_minutes" integer DEFAULT 15 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_settings_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"kind" text NOT NULL,
	"subject_type" text,
	"subject_id" text,
	"dedupe_key" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alerts_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."billing_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"entity" text NOT NULL,
	"stripe_object_id" text NOT NULL,
	"kind" text,
	"subject_type" text,
	"subject_id" text,
	"old_status" text,
	"new_status" text NOT NULL,
	"stripe_event_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_audit_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."hook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"outbox_id" bigint NOT NULL,
	"ordering_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hook_deliveries_environment_check" CHECK ("environment" in ('test', 'live')),
	CONSTRAINT "hook_deliveries_status_check" CHECK ("paywire"."hook_deliveries"."status" in ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."hook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"description" text,
	"secret_ciphertext" text NOT NULL,
	"secret_masked" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hook_endpoints_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."recipe_installs" (
	"name" text NOT NULL,
	"schema_name" text NOT NULL,
	"checksum" text NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recipe_installs_name_schema_name_pk" PRIMARY KEY("name","schema_name")
);
--> statement-breakpoint
ALTER TABLE "paywire"."outbox" ADD COLUMN "subject_type" text;--> statement-breakpoint
ALTER TABLE "paywire"."outbox" ADD COLUMN "subject_id" text;--> statement-breakpoint
ALTER TABLE "paywire"."outbox" ADD COLUMN "stripe_event_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_env_open_uq" ON "paywire"."alerts" USING btree ("environment","dedupe_key") WHERE "paywire"."alerts"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "alerts_env_opened_idx" ON "paywire"."alerts" USING btree ("environment","opened_at","id");--> statement-breakpoint
CREATE INDEX "billing_audit_env_created_idx" ON "paywire"."billing_audit" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "billing_audit_subject_idx" ON "paywire"."billing_audit" USING btree ("environment","subject_type","subject_id","id");--> statement-breakpoint
CREATE INDEX "billing_audit_object_idx" ON "paywire"."billing_audit" USING btree ("environment","stripe_object_id");--> statement-breakpoint
CREATE UNIQUE INDEX "hook_deliveries_endpoint_outbox_uq" ON "paywire"."hook_deliveries" USING btree ("endpoint_id","outbox_id");--> statement-breakpoint
CREATE INDEX "hook_deliveries_order_idx" ON "paywire"."hook_deliveries" USING btree ("endpoint_id","ordering_key","outbox_id");--> statement-breakpoint
CREATE INDEX "hook_deliveries_env_status_idx" ON "paywire"."hook_deliveries" USING btree ("environment","status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "hook_endpoints_env_idx" ON "paywire"."hook_endpoints" USING btree ("environment");--> statement-breakpoint
CREATE INDEX "outbox_env_id_idx" ON "paywire"."outbox" USING btree ("environment","id");