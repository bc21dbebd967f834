CREATE TABLE "paywire"."customer_claims" (
	"environment" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"token" uuid DEFAULT gen_random_uuid() NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_claims_environment_subject_type_subject_id_pk" PRIMARY KEY("environment","subject_type","subject_id"),
	CONSTRAINT "customer_claims_environment_check" CHECK ("environment" in ('test', 'live'))
);
