-- Postgres's cost per webhook event (issue #16). bench/postgres-cost.ts, the Worker's recorded
-- webhook transactions through the local Neon endpoint at concurrency 8, 4 alternating runs of
-- 2,160 requests (load 0.5-1.5): Postgres CPU 0.87-0.99 (median 0.91) -> 0.78-0.86 (median 0.81)
-- ms per request, WAL 6.0 -> 6.4 KB per request (bench/variants/pre-0018.sql is the before).
--
-- 1. webhook_events_env_status_idx becomes partial (processing_status <> 'processed'): nearly
--    every event ends processed, and the status filters that need the index (failed, pending,
--    ignored: the events list, retry-failed, the status counts) are the other rows. One B-tree
--    insert and ~100 bytes of WAL less per event; `?status=processed` walks
--    webhook_events_env_received_idx with a filter (still in index order, no sort).
DROP INDEX "paywire"."webhook_events_env_status_idx";--> statement-breakpoint
CREATE INDEX "webhook_events_env_status_idx" ON "paywire"."webhook_events" USING btree ("environment","processing_status","received_at","id") WHERE "paywire"."webhook_events"."processing_status" <> 'processed';--> statement-breakpoint
-- 2. lz4 instead of pglz for the event payload and the raw Stripe objects. Rows over ~2 KB are
--    compressed on every insert and update; pglz spent ~55 µs per 3 KB payload (single backend,
--    4,500 corpus payloads: 88 vs 44 µs per insert including jsonb parsing), ~0.1 ms of the
--    ~0.9 ms Postgres CPU per event. lz4 compresses JSON somewhat less (+10% WAL per event).
--    Only new values use it (no rewrite). Servers built without lz4 (PGlite) keep pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE paywire.webhook_events ALTER COLUMN payload SET COMPRESSION lz4, ALTER COLUMN raw_body SET COMPRESSION lz4;
    ALTER TABLE paywire.products ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.prices ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.customers ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.subscriptions ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.subscription_items ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.payment_history ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE paywire.checkout_sessions ALTER COLUMN raw SET COMPRESSION lz4;
  END IF;
END
$$;--> statement-breakpoint
-- 3. fill_subject fires only when it has something to do: the function is a no-op unless the
--    row has a customer and no subject, and a WHEN clause is checked without entering PL/pgSQL.
--    Same condition as the function's own IF, so the behaviour is unchanged.
DROP TRIGGER fill_subject ON paywire.subscriptions;--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.subscriptions
  FOR EACH ROW WHEN (NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL)
  EXECUTE FUNCTION paywire.fill_subject_from_mapping();--> statement-breakpoint
DROP TRIGGER fill_subject ON paywire.payment_history;--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.payment_history
  FOR EACH ROW WHEN (NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL)
  EXECUTE FUNCTION paywire.fill_subject_from_mapping();--> statement-breakpoint
DROP TRIGGER fill_subject ON paywire.checkout_sessions;--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.checkout_sessions
  FOR EACH ROW WHEN (NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL)
  EXECUTE FUNCTION paywire.fill_subject_from_mapping();
