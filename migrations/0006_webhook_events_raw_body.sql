ALTER TABLE "paywire"."webhook_events" ALTER COLUMN "payload" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "paywire"."webhook_events" ADD COLUMN "raw_body" text;--> statement-breakpoint
ALTER TABLE "paywire"."webhook_events" ADD COLUMN "raw_body_encoding" text;--> statement-breakpoint
ALTER TABLE "paywire"."webhook_events" ADD CONSTRAINT "webhook_events_body_check" CHECK ("paywire"."webhook_events"."payload" is not null or "paywire"."webhook_events"."raw_body" is not null);