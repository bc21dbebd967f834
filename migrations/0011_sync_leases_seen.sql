CREATE TABLE "paywire"."sync_leases" (
	"environment" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"run_id" uuid,
	"lease_until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_leases_environment_check" CHECK ("environment" in ('test', 'live'))
);
--> statement-breakpoint
CREATE TABLE "paywire"."sync_seen" (
	"environment" text NOT NULL,
	"run_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"stripe_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_seen_run_id_resource_stripe_id_pk" PRIMARY KEY("run_id","resource","stripe_id"),
	CONSTRAINT "sync_seen_environment_check" CHECK ("environment" in ('test', 'live'))
);
