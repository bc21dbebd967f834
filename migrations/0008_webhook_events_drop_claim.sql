ALTER TABLE "paywire"."webhook_events" DROP COLUMN "claim_token";--> statement-breakpoint
ALTER TABLE "paywire"."webhook_events" DROP COLUMN "claimed_at";