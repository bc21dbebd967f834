-- Custom migration: review of Paywire's fact triggers (0023/0024, docs/fulfillment.md).
-- 1. subscription.changed is no longer lost when fill_subject fills the subject in the same
--    update that changes status, price or cancel flag (sync/runtime writes take no customer lock).
-- 2. One billing_audit row per failed invoice attempt through billing_audit_failed_attempt_uq
--    (0027) and ON CONFLICT DO NOTHING: the EXISTS probe let concurrent deliveries of one attempt
--    both insert, inflating the failures-in-a-row count.
-- 3. Cost: the invoice.payment_failed trigger is split so that an update of an already processed
--    row never enters PL/pgSQL; payment_facts fills in held rows (and emits held failures) only
--    when the object has rows without a subject (billing_audit_held_idx, 0027).
CREATE OR REPLACE FUNCTION paywire.subscription_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  is_insert boolean := TG_OP = 'INSERT';
  old_status text;
  status_changed boolean;
  subject_filled boolean := false;
  event_id text := nullif(NEW.source_event_id, '');
  payload jsonb;
BEGIN
  IF NOT is_insert THEN
    old_status := OLD.status;
    subject_filled := OLD.subject_id IS NULL AND NEW.subject_id IS NOT NULL;
  END IF;
  status_changed := is_insert OR old_status IS DISTINCT FROM NEW.status;
  IF status_changed THEN
    INSERT INTO paywire.billing_audit (environment, entity, stripe_object_id, kind, subject_type, subject_id,
                                       old_status, new_status, stripe_event_id, details)
    VALUES (NEW.environment, 'subscription', NEW.stripe_subscription_id, NULL, NEW.subject_type, NEW.subject_id,
            old_status, NEW.status, event_id,
            jsonb_build_object('price_id', NEW.stripe_price_id, 'cancel_at_period_end', NEW.cancel_at_period_end,
                               'at', NEW.source_ts));
  END IF;
  IF subject_filled THEN
    UPDATE paywire.billing_audit SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
     WHERE environment = NEW.environment AND stripe_object_id = NEW.stripe_subscription_id AND subject_id IS NULL;
  END IF;
  -- Held back until the customer's subject is known (see the top of this file).
  IF NEW.subject_id IS NULL AND NEW.stripe_customer_id <> '' THEN
    RETURN NULL;
  END IF;
  payload := paywire.subscription_fact_payload(NEW, old_status);
  -- Started: any status a subscription reaches only after it started. `canceled` counts (an
  -- unstarted one ends as incomplete_expired), so a subscription first seen canceled (events out
  -- of order) still has its started message, before the canceled one.
  IF (status_changed OR subject_filled)
     AND NEW.status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled') THEN
    PERFORM paywire.emit_fact(NEW.environment, 'subscription.started', 'subscription', NEW.stripe_subscription_id,
      'subscription.started:' || NEW.stripe_subscription_id, NEW.subject_type, NEW.subject_id, event_id, payload);
  END IF;
  IF (status_changed OR subject_filled) AND NEW.status = 'canceled' THEN
    PERFORM paywire.emit_fact(NEW.environment, 'subscription.canceled', 'subscription', NEW.stripe_subscription_id,
      'subscription.canceled:' || NEW.stripe_subscription_id, NEW.subject_type, NEW.subject_id, event_id, payload);
  END IF;
  -- A change of an already started subscription (not its start, not its end, not the backfill).
  -- A subject filled in by the same update (fill_subject on a sync or runtime write) does not
  -- hide the change: the key holds the event id, so a replay adds nothing.
  IF NOT is_insert
     AND (status_changed OR OLD.stripe_price_id IS DISTINCT FROM NEW.stripe_price_id
          OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end)
     AND NEW.status NOT IN ('canceled', 'incomplete_expired', 'incomplete')
     AND old_status NOT IN ('incomplete', 'incomplete_expired') THEN
    PERFORM paywire.emit_fact(NEW.environment, 'subscription.changed', 'subscription', NEW.stripe_subscription_id,
      'subscription.changed:' || NEW.stripe_subscription_id || ':' || NEW.source_event_id,
      NEW.subject_type, NEW.subject_id, event_id, payload);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.invoice_payment_failed_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  inv jsonb := NEW.payload -> 'data' -> 'object';
  invoice_id text := inv ->> 'id';
  customer text;
  attempt text := coalesce(inv ->> 'attempt_count', '0');
  subject_type text;
  subject_id text;
  fact_details jsonb; -- (not `details`: the ON CONFLICT clause names that column)
BEGIN
  IF invoice_id IS NULL THEN
    RETURN NULL;
  END IF;
  customer := CASE jsonb_typeof(inv -> 'customer') WHEN 'object' THEN inv -> 'customer' ->> 'id'
                                                   ELSE inv ->> 'customer' END;
  IF customer IS NOT NULL THEN
    SELECT m.subject_type, m.subject_id INTO subject_type, subject_id FROM paywire.customer_mappings m
     WHERE m.environment = NEW.environment AND m.stripe_customer_id = customer;
  END IF;
  fact_details := jsonb_build_object('invoice_id', invoice_id, 'customer', customer,
    'subscription', coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription'),
    'attempt_count', attempt::bigint, 'amount_due', (inv ->> 'amount_due')::bigint, 'currency', inv ->> 'currency',
    'billing_reason', inv ->> 'billing_reason',
    'next_payment_attempt', to_timestamp((inv ->> 'next_payment_attempt')::double precision),
    'at', NEW.stripe_created);
  INSERT INTO paywire.billing_audit (environment, entity, stripe_object_id, kind, subject_type, subject_id,
                                     old_status, new_status, stripe_event_id, details)
  VALUES (NEW.environment, 'payment', invoice_id, 'invoice', subject_type, subject_id,
          inv ->> 'status', 'payment_failed', NEW.stripe_event_id, fact_details)
  ON CONFLICT (environment, stripe_object_id, (details ->> 'attempt_count')) WHERE new_status = 'payment_failed'
  DO NOTHING;
  IF NOT FOUND THEN
    RETURN NULL; -- this attempt is recorded already (a copy of the event, or another event of it)
  END IF;
  IF subject_id IS NULL AND customer IS NOT NULL THEN
    RETURN NULL; -- emitted by payment_facts when the invoice row gets its subject
  END IF;
  PERFORM paywire.emit_fact(NEW.environment, 'invoice.payment_failed', 'invoice', invoice_id,
    'invoice.payment_failed:' || invoice_id || ':' || attempt, subject_type, subject_id, NEW.stripe_event_id,
    fact_details - 'at');
  IF subject_id IS NOT NULL THEN
    PERFORM paywire.check_payment_failures(NEW.environment, subject_type, subject_id, NEW.stripe_event_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER invoice_payment_failed_facts ON paywire.webhook_events;
--> statement-breakpoint
CREATE TRIGGER invoice_payment_failed_facts_insert AFTER INSERT ON paywire.webhook_events
  FOR EACH ROW WHEN (NEW.type = 'invoice.payment_failed' AND NEW.processing_status = 'processed')
  EXECUTE FUNCTION paywire.invoice_payment_failed_facts();
--> statement-breakpoint
CREATE TRIGGER invoice_payment_failed_facts_update AFTER UPDATE OF processing_status ON paywire.webhook_events
  FOR EACH ROW WHEN (NEW.type = 'invoice.payment_failed' AND NEW.processing_status = 'processed'
                     AND OLD.processing_status IS DISTINCT FROM 'processed')
  EXECUTE FUNCTION paywire.invoice_payment_failed_facts();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.payment_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  is_insert boolean := TG_OP = 'INSERT';
  old_status text;
  status_changed boolean;
  subject_filled boolean := false;
  event_id text := nullif(NEW.source_event_id, '');
  payment_id text;
BEGIN
  IF NOT is_insert THEN
    old_status := OLD.status;
    subject_filled := OLD.subject_id IS NULL AND NEW.subject_id IS NOT NULL;
  END IF;
  status_changed := is_insert OR old_status IS DISTINCT FROM NEW.status;
  IF status_changed THEN
    INSERT INTO paywire.billing_audit (environment, entity, stripe_object_id, kind, subject_type, subject_id,
                                       old_status, new_status, stripe_event_id, details)
    VALUES (NEW.environment, 'payment', NEW.stripe_object_id, NEW.kind, NEW.subject_type, NEW.subject_id,
            old_status, NEW.status, event_id,
            jsonb_build_object('amount', NEW.amount, 'currency', NEW.currency, 'at', NEW.source_ts));
  END IF;
  -- (an invoice inserted with its subject may follow a failure recorded without it, when the
  -- customer's mapping committed in between)
  -- (only when some row of the object still lacks its subject: billing_audit_held_idx)
  IF (subject_filled OR (is_insert AND NEW.kind = 'invoice' AND NEW.subject_id IS NOT NULL))
     AND EXISTS (SELECT 1 FROM paywire.billing_audit h
                  WHERE h.environment = NEW.environment AND h.stripe_object_id = NEW.stripe_object_id
                    AND h.subject_id IS NULL) THEN
    UPDATE paywire.billing_audit SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
     WHERE environment = NEW.environment AND stripe_object_id = NEW.stripe_object_id AND subject_id IS NULL;
    IF NEW.kind = 'invoice' THEN
      PERFORM paywire.emit_held_invoice_failures(NEW.environment, NEW.stripe_object_id,
                                                 NEW.subject_type, NEW.subject_id);
    END IF;
  END IF;
  IF NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL THEN
    RETURN NULL;
  END IF;
  IF NEW.kind = 'refund' THEN
    IF NEW.status = 'succeeded' THEN
      PERFORM paywire.emit_fact(NEW.environment, 'payment.refunded', 'payment',
        coalesce(NEW.stripe_payment_intent_id, NEW.stripe_object_id), 'payment.refunded:' || NEW.stripe_object_id,
        NEW.subject_type, NEW.subject_id, event_id,
        jsonb_build_object('refund_id', NEW.stripe_object_id, 'payment_intent', NEW.stripe_payment_intent_id,
          'charge', NEW.stripe_charge_id, 'customer', NEW.stripe_customer_id, 'amount', NEW.amount,
          'currency', NEW.currency, 'status', NEW.status, 'reason', NEW.description,
          'occurred_at', NEW.occurred_at, 'metadata', NEW.metadata));
    END IF;
    RETURN NULL;
  END IF;
  IF NEW.status IN ('paid', 'succeeded') THEN
    -- a real success (not charge.refunded's placeholder row) ends a run of failures
    -- (and only a success later, in Stripe's time, than every failure recorded for the subject)
    IF NEW.subject_id IS NOT NULL AND event_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM paywire.alerts al
                    WHERE al.environment = NEW.environment AND al.resolved_at IS NULL
                      AND al.dedupe_key = 'payment_failures:' || NEW.subject_type || ':' || NEW.subject_id)
       AND NOT EXISTS (SELECT 1 FROM paywire.billing_audit a
                        WHERE a.environment = NEW.environment AND a.subject_type = NEW.subject_type
                          AND a.subject_id = NEW.subject_id AND a.entity = 'payment'
                          AND (a.new_status = 'payment_failed'
                               OR (a.kind = 'checkout_session' AND a.new_status = 'failed'))
                          AND (a.details ->> 'at')::bigint > NEW.source_ts) THEN
      UPDATE paywire.alerts SET resolved_at = now()
       WHERE environment = NEW.environment AND resolved_at IS NULL
         AND dedupe_key = 'payment_failures:' || NEW.subject_type || ':' || NEW.subject_id;
    END IF;
    IF NEW.kind = 'invoice' AND NEW.amount > 0 THEN
      PERFORM paywire.emit_fact(NEW.environment, 'payment.succeeded', 'invoice', NEW.stripe_object_id,
        'payment.succeeded:' || NEW.stripe_object_id, NEW.subject_type, NEW.subject_id, event_id,
        jsonb_build_object('source', 'invoice', 'invoice_id', NEW.stripe_object_id,
          'payment_intent', NEW.stripe_payment_intent_id, 'subscription', NEW.stripe_subscription_id,
          'customer', NEW.stripe_customer_id, 'amount', NEW.amount, 'currency', NEW.currency,
          'description', NEW.description, 'occurred_at', NEW.occurred_at, 'metadata', NEW.metadata,
          'billing_reason', NEW.raw ->> 'billing_reason',
          'price_id', coalesce(NEW.raw -> 'lines' -> 'data' -> 0 -> 'pricing' -> 'price_details' ->> 'price',
                               NEW.raw -> 'lines' -> 'data' -> 0 -> 'price' ->> 'id'),
          'period_end', to_timestamp((NEW.raw -> 'lines' -> 'data' -> 0 -> 'period' ->> 'end')::double precision)));
    ELSIF NEW.kind = 'checkout_session' THEN
      payment_id := coalesce(NEW.stripe_payment_intent_id, NEW.stripe_object_id);
      PERFORM paywire.emit_fact(NEW.environment, 'payment.succeeded', 'payment', payment_id,
        'payment.succeeded:' || payment_id, NEW.subject_type, NEW.subject_id, event_id,
        jsonb_build_object('source', 'checkout_session', 'checkout_session_id', NEW.stripe_object_id,
          'payment_intent', NEW.stripe_payment_intent_id, 'customer', NEW.stripe_customer_id,
          'amount', NEW.amount, 'currency', NEW.currency, 'occurred_at', NEW.occurred_at,
          'metadata', NEW.metadata));
    END IF;
  ELSIF NEW.kind = 'checkout_session' AND NEW.status = 'failed' AND NEW.subject_id IS NOT NULL THEN
    PERFORM paywire.check_payment_failures(NEW.environment, NEW.subject_type, NEW.subject_id, event_id);
  END IF;
  RETURN NULL;
END
$$;
