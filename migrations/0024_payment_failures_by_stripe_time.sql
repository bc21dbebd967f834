-- Custom migration: "failed payments in a row" in Stripe's time, not Paywire's processing order
-- (#12 part A, follows 0023). Stripe delivers events in any order: a subscription's first paid
-- invoice can be processed after its renewal's failed attempts. A run of failures is now the
-- failed attempts whose event time (billing_audit.details.at, the event's `created`) is later
-- than the subject's latest successful payment; a success resolves the payment_failures alert
-- only when no recorded failure of the subject is later than it.
CREATE OR REPLACE FUNCTION paywire.check_payment_failures(
  p_environment text, p_subject_type text, p_subject_id text, p_stripe_event_id text
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  threshold integer;
  last_success bigint;
  failures integer;
BEGIN
  SELECT s.payment_failures INTO threshold FROM paywire.alert_settings s WHERE s.environment = p_environment;
  threshold := coalesce(threshold, 3);
  SELECT max((a.details ->> 'at')::bigint) INTO last_success FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.entity = 'payment' AND a.kind <> 'refund' AND a.new_status IN ('paid', 'succeeded');
  SELECT count(*) INTO failures FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.entity = 'payment'
     AND (a.new_status = 'payment_failed' OR (a.kind = 'checkout_session' AND a.new_status = 'failed'))
     AND (a.details ->> 'at')::bigint > coalesce(last_success, 0);
  IF failures < threshold THEN
    RETURN;
  END IF;
  PERFORM paywire.raise_alert(p_environment, 'payment_failures', p_subject_type, p_subject_id,
    'payment_failures:' || p_subject_type || ':' || p_subject_id,
    format('%s failed payments in a row for %s:%s', failures, p_subject_type, p_subject_id),
    jsonb_build_object('failures', failures, 'threshold', threshold), p_stripe_event_id);
END
$$;
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
  IF subject_filled OR (is_insert AND NEW.kind = 'invoice' AND NEW.subject_id IS NOT NULL) THEN
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
