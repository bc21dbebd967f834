-- Custom migration: rows derived from ANOTHER row converge under concurrent deliveries too.
--
-- Two projections copy a value from a different row: a row's subject from its customer's
-- mapping (fill_subject / backfill_subject), and a refund's customer from its payment. Each side
-- fills the other in, but under READ COMMITTED two concurrent transactions can each miss the
-- other's uncommitted row and both commit with the value missing (seen in the head-to-head
-- benchmark at concurrency 8: a refund left without its customer).
--
-- Every writer now takes a transaction-scoped advisory lock on the key the value hangs on
-- (`customer:<env>:<id>`, `payment:<env>:<payment intent>`) before it reads or fills: the second
-- transaction waits for the first to commit, and its next statement sees the first's rows. The
-- webhook projection takes its keys in sorted order as its first statement after the event row
-- (so two events never wait on each other in opposite orders); the triggers take the customer's
-- key again (re-entrant, free when already held), which also covers every other writer (sync,
-- checkout, admin).
CREATE OR REPLACE FUNCTION paywire.lock_billing_keys(keys text[]) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  k text;
BEGIN
  FOR k IN SELECT DISTINCT x FROM unnest(keys) AS x WHERE x IS NOT NULL ORDER BY x LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended('paywire:' || k, 0));
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.fill_subject_from_mapping() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL THEN
    PERFORM paywire.lock_billing_keys(ARRAY['customer:' || NEW.environment || ':' || NEW.stripe_customer_id]);
    SELECT m.subject_type, m.subject_id INTO NEW.subject_type, NEW.subject_id
      FROM paywire.customer_mappings m
     WHERE m.environment = NEW.environment AND m.stripe_customer_id = NEW.stripe_customer_id;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.backfill_subject_from_mapping() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM paywire.lock_billing_keys(ARRAY['customer:' || NEW.environment || ':' || NEW.stripe_customer_id]);
  UPDATE paywire.subscriptions SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  UPDATE paywire.payment_history SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  UPDATE paywire.checkout_sessions SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  RETURN NULL;
END
$$;
