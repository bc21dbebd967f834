CREATE SCHEMA "paywire";
--> statement-breakpoint
CREATE TABLE "paywire"."audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment" text,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_log_environment_check" CHECK ("paywire"."audit_log"."environment" is null or "paywire"."audit_log"."environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."checkout_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"subject_type" text,
	"subject_id" text,
	"created_by" text,
	"idempotency_key" text,
	"request_hash" text,
	"mode" text NOT NULL,
	"request" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'initialized' NOT NULL,
	"stripe_checkout_session_id" text,
	"stripe_customer_id" text,
	"url" text,
	"payment_status" text,
	"amount_total" bigint,
	"currency" text,
	"stripe_subscription_id" text,
	"stripe_payment_intent_id" text,
	"last_error" text,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw" jsonb,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkout_sessions_environment_check" CHECK ("environment" in ('test', 'live')),
	CONSTRAINT "checkout_sessions_status_check" CHECK ("paywire"."checkout_sessions"."status" in ('initialized', 'open', 'completed', 'expired', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."connections" (
	"environment" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"account_name" text,
	"secret_key_ciphertext" text NOT NULL,
	"secret_key_masked" text NOT NULL,
	"key_kind" text DEFAULT 'secret' NOT NULL,
	"webhook_endpoint_id" text,
	"webhook_endpoint_url" text,
	"webhook_secret_ciphertext" text,
	"webhook_api_version" text,
	"webhook_enabled_events" text[],
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."customer_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_mappings_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"email" text,
	"name" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stripe_created" bigint,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"topic" text NOT NULL,
	"aggregate_type" text,
	"aggregate_id" text,
	"dedupe_key" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."payment_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"kind" text NOT NULL,
	"stripe_object_id" text NOT NULL,
	"stripe_customer_id" text,
	"subject_type" text,
	"subject_id" text,
	"stripe_invoice_id" text,
	"stripe_payment_intent_id" text,
	"stripe_charge_id" text,
	"stripe_subscription_id" text,
	"stripe_checkout_session_id" text,
	"amount" bigint NOT NULL,
	"amount_refunded" bigint DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"description" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_history_environment_check" CHECK ("environment" in ('test', 'live')),
	CONSTRAINT "payment_history_kind_check" CHECK ("paywire"."payment_history"."kind" in ('payment_intent', 'invoice', 'checkout_session', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."portal_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"created_by" text NOT NULL,
	"stripe_customer_id" text,
	"stripe_portal_session_id" text,
	"url" text,
	"return_url" text,
	"status" text DEFAULT 'initialized' NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portal_sessions_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_price_id" text NOT NULL,
	"stripe_product_id" text NOT NULL,
	"active" boolean NOT NULL,
	"currency" text NOT NULL,
	"unit_amount" bigint,
	"type" text NOT NULL,
	"recurring_interval" text,
	"recurring_interval_count" integer,
	"trial_period_days" integer,
	"lookup_key" text,
	"nickname" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stripe_created" bigint,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prices_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_product_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"active" boolean NOT NULL,
	"default_price_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stripe_created" bigint,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."subject_members" (
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subject_members_subject_type_subject_id_user_id_pk" PRIMARY KEY("subject_type","subject_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "paywire"."subscription_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_subscription_item_id" text NOT NULL,
	"stripe_subscription_id" text NOT NULL,
	"stripe_price_id" text,
	"stripe_product_id" text,
	"quantity" integer,
	"current_period_start" timestamp with time zone,
	"current_period_end" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_items_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_subscription_id" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"subject_type" text,
	"subject_id" text,
	"status" text NOT NULL,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"cancel_at" timestamp with time zone,
	"canceled_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"trial_start" timestamp with time zone,
	"trial_end" timestamp with time zone,
	"current_period_start" timestamp with time zone,
	"current_period_end" timestamp with time zone,
	"collection_method" text,
	"latest_invoice_id" text,
	"stripe_price_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stripe_created" bigint,
	"raw" jsonb NOT NULL,
	"source_ts" bigint DEFAULT 0 NOT NULL,
	"source_rank" bigint DEFAULT 0 NOT NULL,
	"source_event_id" text DEFAULT '' NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"cursor" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"drift" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"lease_until" timestamp with time zone,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_runs_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment" text NOT NULL,
	"stripe_event_id" text NOT NULL,
	"type" text NOT NULL,
	"livemode" boolean NOT NULL,
	"api_version" text,
	"stripe_created" bigint NOT NULL,
	"object_id" text,
	"processing_status" text DEFAULT 'pending' NOT NULL,
	"source" text DEFAULT 'webhook' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"claim_token" uuid,
	"claimed_at" timestamp with time zone,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_events_environment_check" CHECK ("environment" in ('test', 'live')),
	CONSTRAINT "webhook_events_status_check" CHECK ("paywire"."webhook_events"."processing_status" in ('pending', 'processed', 'failed', 'ignored'))
);
--> statement-breakpoint
CREATE INDEX "audit_log_created_idx" ON "paywire"."audit_log" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "checkout_sessions_env_stripe_uq" ON "paywire"."checkout_sessions" USING btree ("environment","stripe_checkout_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "checkout_sessions_idempotency_uq" ON "paywire"."checkout_sessions" USING btree ("environment","subject_type","subject_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "checkout_sessions_subject_idx" ON "paywire"."checkout_sessions" USING btree ("environment","subject_type","subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_mappings_env_subject_uq" ON "paywire"."customer_mappings" USING btree ("environment","subject_type","subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_mappings_env_customer_uq" ON "paywire"."customer_mappings" USING btree ("environment","stripe_customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "customers_env_stripe_uq" ON "paywire"."customers" USING btree ("environment","stripe_customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_env_dedupe_uq" ON "paywire"."outbox" USING btree ("environment","dedupe_key");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "paywire"."outbox" USING btree ("environment","processed_at","available_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_history_env_object_uq" ON "paywire"."payment_history" USING btree ("environment","stripe_object_id");--> statement-breakpoint
CREATE INDEX "payment_history_subject_idx" ON "paywire"."payment_history" USING btree ("environment","subject_type","subject_id","occurred_at");--> statement-breakpoint
CREATE INDEX "payment_history_customer_idx" ON "paywire"."payment_history" USING btree ("environment","stripe_customer_id");--> statement-breakpoint
CREATE INDEX "portal_sessions_subject_idx" ON "paywire"."portal_sessions" USING btree ("environment","subject_type","subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prices_env_stripe_uq" ON "paywire"."prices" USING btree ("environment","stripe_price_id");--> statement-breakpoint
CREATE INDEX "prices_env_product_idx" ON "paywire"."prices" USING btree ("environment","stripe_product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_env_stripe_uq" ON "paywire"."products" USING btree ("environment","stripe_product_id");--> statement-breakpoint
CREATE INDEX "subject_members_user_idx" ON "paywire"."subject_members" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscription_items_env_stripe_uq" ON "paywire"."subscription_items" USING btree ("environment","stripe_subscription_item_id");--> statement-breakpoint
CREATE INDEX "subscription_items_subscription_idx" ON "paywire"."subscription_items" USING btree ("environment","stripe_subscription_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_env_stripe_uq" ON "paywire"."subscriptions" USING btree ("environment","stripe_subscription_id");--> statement-breakpoint
CREATE INDEX "subscriptions_subject_idx" ON "paywire"."subscriptions" USING btree ("environment","subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "subscriptions_customer_idx" ON "paywire"."subscriptions" USING btree ("environment","stripe_customer_id");--> statement-breakpoint
CREATE INDEX "sync_runs_env_started_idx" ON "paywire"."sync_runs" USING btree ("environment","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_env_event_uq" ON "paywire"."webhook_events" USING btree ("environment","stripe_event_id");--> statement-breakpoint
CREATE INDEX "webhook_events_env_status_idx" ON "paywire"."webhook_events" USING btree ("environment","processing_status","received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_env_type_idx" ON "paywire"."webhook_events" USING btree ("environment","type","received_at");