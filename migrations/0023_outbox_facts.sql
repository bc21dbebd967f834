-- Custom migration: Paywire's own triggers that turn projected rows into business facts (#12,
-- docs/fulfillment.md): one paywire.outbox message per fact (ON CONFLICT on the dedupe key, so
-- duplicates, replays and out-of-order events add nothing), a paywire.billing_audit entry per
-- status change of a subscription or payment row, and the payment_failures alert. All of it runs
-- in the transaction that writes the row. Cost on the webhook path: WHEN clauses keep PL/pgSQL
-- out of updates that change no status, price, cancel flag, quantity or subject; an insert (a
-- new Stripe object) always enters it, since it is a status change for the billing audit.
--
-- Subject rule: a fact about a row that names a Stripe customer but has no billing subject yet
-- is held back; when the customer's mapping arrives, backfill_subject_from_mapping() sets the
-- subject and the trigger emits the fact then, with the same dedupe key. A row without any
-- customer emits at once with a null subject.

-- The one way a fact reaches the outbox.
CREATE FUNCTION paywire.emit_fact(
  p_environment text, p_topic text, p_aggregate_type text, p_aggregate_id text, p_dedupe_key text,
  p_subject_type text, p_subject_id text, p_stripe_event_id text, p_payload jsonb
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO paywire.outbox (environment, topic, aggregate_type, aggregate_id, dedupe_key,
                              subject_type, subject_id, stripe_event_id, payload)
  VALUES (p_environment, p_topic, p_aggregate_type, p_aggregate_id, p_dedupe_key,
          p_subject_type, p_subject_id, nullif(p_stripe_event_id, ''), p_payload)
  ON CONFLICT (environment, dedupe_key) DO NOTHING;
END
$$;
--> statement-breakpoint
-- Opens an alert unless one with the same dedupe key is open, and writes its alert.raised
-- message. Answers the new alert's id, or null when one was open already. Also used by
-- src/services/alerts/evaluate-alerts.ts for the webhook alerts.
CREATE FUNCTION paywire.raise_alert(
  p_environment text, p_kind text, p_subject_type text, p_subject_id text, p_dedupe_key text,
  p_message text, p_details jsonb, p_stripe_event_id text
) RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
  a paywire.alerts;
BEGIN
  INSERT INTO paywire.alerts (environment, kind, subject_type, subject_id, dedupe_key, message, details)
  VALUES (p_environment, p_kind, p_subject_type, p_subject_id, p_dedupe_key, p_message, p_details)
  ON CONFLICT (environment, dedupe_key) WHERE resolved_at IS NULL DO NOTHING
  RETURNING * INTO a;
  IF a.id IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM paywire.emit_fact(p_environment, 'alert.raised', 'alert', a.id::text, 'alert.raised:' || a.id,
    p_subject_type, p_subject_id, p_stripe_event_id,
    jsonb_build_object('alert_id', a.id, 'kind', a.kind, 'dedupe_key', a.dedupe_key, 'message', a.message,
      'subject_type', a.subject_type, 'subject_id', a.subject_id, 'details', a.details,
      'opened_at', a.opened_at));
  RETURN a.id;
END
$$;
--> statement-breakpoint
-- "N failed payments in a row" for a subject: billing_audit entries of failed payment attempts
-- (invoice.payment_failed attempts, failed asynchronous checkout payments) newer than the
-- subject's last successful payment (an invoice paid, a checkout or payment intent succeeded),
-- in the order Paywire recorded them. N = alert_settings.payment_failures (default 3).
CREATE FUNCTION paywire.check_payment_failures(
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
  SELECT max(a.id) INTO last_success FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.entity = 'payment' AND a.kind <> 'refund' AND a.new_status IN ('paid', 'succeeded');
  SELECT count(*) INTO failures FROM paywire.billing_audit a
   WHERE a.environment = p_environment AND a.subject_type = p_subject_type AND a.subject_id = p_subject_id
     AND a.id > coalesce(last_success, 0) AND a.entity = 'payment'
     AND (a.new_status = 'payment_failed' OR (a.kind = 'checkout_session' AND a.new_status = 'failed'));
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
-- The fields of a subscription fact (not the raw Stripe object): the first item carries the
-- price, product, quantity and the plan's (price's) metadata. Only values of the subscription
-- event itself, so the payload does not depend on which other events arrived first.
CREATE FUNCTION paywire.subscription_fact_payload(s paywire.subscriptions, previous_status text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT jsonb_build_object(
    'subscription_id', s.stripe_subscription_id,
    'customer', nullif(s.stripe_customer_id, ''),
    'status', s.status,
    'previous_status', previous_status,
    'price_id', s.stripe_price_id,
    'product_id', CASE jsonb_typeof(item -> 'price' -> 'product')
                    WHEN 'object' THEN item -> 'price' -> 'product' ->> 'id'
                    ELSE item -> 'price' ->> 'product' END,
    'quantity', (item ->> 'quantity')::bigint,
    'cancel_at_period_end', s.cancel_at_period_end,
    'cancel_at', s.cancel_at,
    'canceled_at', s.canceled_at,
    'ended_at', s.ended_at,
    'current_period_end', s.current_period_end,
    'trial_end', s.trial_end,
    'metadata', s.metadata,
    'price_metadata', coalesce(item -> 'price' -> 'metadata', '{}'::jsonb))
  FROM (SELECT s.raw -> 'items' -> 'data' -> 0 AS item) i
$$;
--> statement-breakpoint
-- subscriptions: audit every status change; subscription.started (first time the status is a
-- started one), subscription.canceled, subscription.changed (price, status or
-- cancel_at_period_end changed by one applied event; quantity: see subscription_item_facts).
-- changed messages follow the states Paywire applies: an event older than the stored state is
-- not applied, so out-of-order delivery can fold two changes into one message.
CREATE FUNCTION paywire.subscription_facts() RETURNS trigger
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
  IF NOT is_insert AND NOT subject_filled
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
CREATE TRIGGER subscription_facts_insert AFTER INSERT ON paywire.subscriptions
  FOR EACH ROW EXECUTE FUNCTION paywire.subscription_facts();
--> statement-breakpoint
CREATE TRIGGER subscription_facts_update AFTER UPDATE ON paywire.subscriptions
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.stripe_price_id IS DISTINCT FROM NEW.stripe_price_id
                     OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end
                     OR (OLD.subject_id IS NULL AND NEW.subject_id IS NOT NULL))
  EXECUTE FUNCTION paywire.subscription_facts();
--> statement-breakpoint
-- A quantity change lives on the item rows (written after the subscription row in the same
-- transaction): subscription.changed with the event's key, merged with a price or status
-- change of the same event by the dedupe key.
CREATE FUNCTION paywire.subscription_item_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  s paywire.subscriptions;
BEGIN
  SELECT * INTO s FROM paywire.subscriptions
   WHERE environment = NEW.environment AND stripe_subscription_id = NEW.stripe_subscription_id;
  IF s.id IS NULL OR (s.subject_id IS NULL AND s.stripe_customer_id <> '')
     OR s.status IN ('canceled', 'incomplete_expired', 'incomplete') THEN
    RETURN NULL;
  END IF;
  PERFORM paywire.emit_fact(NEW.environment, 'subscription.changed', 'subscription', s.stripe_subscription_id,
    'subscription.changed:' || s.stripe_subscription_id || ':' || NEW.source_event_id,
    s.subject_type, s.subject_id, NEW.source_event_id, paywire.subscription_fact_payload(s, NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER subscription_item_facts AFTER UPDATE ON paywire.subscription_items
  FOR EACH ROW WHEN (OLD.quantity IS DISTINCT FROM NEW.quantity AND NEW.deleted_at IS NULL
                     AND NEW.source_event_id <> '')
  EXECUTE FUNCTION paywire.subscription_item_facts();
--> statement-breakpoint
-- invoice.payment_failed messages of an invoice recorded before its subject was known.
CREATE FUNCTION paywire.emit_held_invoice_failures(
  p_environment text, p_invoice text, p_subject_type text, p_subject_id text
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT a.stripe_event_id, a.details FROM paywire.billing_audit a
            WHERE a.environment = p_environment AND a.stripe_object_id = p_invoice
              AND a.new_status = 'payment_failed' ORDER BY a.id LOOP
    PERFORM paywire.emit_fact(p_environment, 'invoice.payment_failed', 'invoice', p_invoice,
      'invoice.payment_failed:' || p_invoice || ':' || (r.details ->> 'attempt_count'),
      p_subject_type, p_subject_id, r.stripe_event_id, r.details - 'at');
  END LOOP;
  IF FOUND THEN
    PERFORM paywire.check_payment_failures(p_environment, p_subject_type, p_subject_id, NULL);
  END IF;
END
$$;
--> statement-breakpoint
-- payment_history: audit every status change; payment.succeeded, payment.refunded; a successful
-- payment resolves the subject's payment_failures alert.
-- Canonical payment.succeeded key: one message per payment, from the billing document only.
--   subscription / invoice payments: payment.succeeded:<invoice id> (kind invoice, status paid,
--     amount > 0), aggregate invoice;
--   one-time Checkout payments: payment.succeeded:<payment intent id> (kind checkout_session,
--     status paid; the session id when it has no payment intent), aggregate payment.
-- The payment_intent rows of those same payments never emit (they would repeat them).
CREATE FUNCTION paywire.payment_facts() RETURNS trigger
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
    IF NEW.subject_id IS NOT NULL AND event_id IS NOT NULL THEN
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
--> statement-breakpoint
CREATE TRIGGER payment_facts_insert AFTER INSERT ON paywire.payment_history
  FOR EACH ROW EXECUTE FUNCTION paywire.payment_facts();
--> statement-breakpoint
CREATE TRIGGER payment_facts_update AFTER UPDATE ON paywire.payment_history
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                     OR (OLD.subject_id IS NULL AND NEW.subject_id IS NOT NULL))
  EXECUTE FUNCTION paywire.payment_facts();
--> statement-breakpoint
-- A failed invoice payment leaves the invoice `open` with attempt_count + 1, exactly as the
-- invoice.updated sent in the same second (same recency key but the event id), which also
-- precedes a successful attempt: the invoice row cannot tell a failure. The fact is the event
-- itself, taken when its row becomes `processed` (once: a duplicate never updates a processed
-- row), in the transaction that projects it.
CREATE FUNCTION paywire.invoice_payment_failed_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  inv jsonb := NEW.payload -> 'data' -> 'object';
  invoice_id text := inv ->> 'id';
  customer text;
  attempt text := coalesce(inv ->> 'attempt_count', '0');
  subject_type text;
  subject_id text;
  details jsonb;
BEGIN
  IF invoice_id IS NULL THEN
    RETURN NULL;
  END IF;
  customer := CASE jsonb_typeof(inv -> 'customer') WHEN 'object' THEN inv -> 'customer' ->> 'id'
                                                   ELSE inv ->> 'customer' END;
  IF EXISTS (SELECT 1 FROM paywire.billing_audit a
              WHERE a.environment = NEW.environment AND a.stripe_object_id = invoice_id
                AND a.new_status = 'payment_failed' AND a.details ->> 'attempt_count' = attempt) THEN
    RETURN NULL;
  END IF;
  IF customer IS NOT NULL THEN
    SELECT m.subject_type, m.subject_id INTO subject_type, subject_id FROM paywire.customer_mappings m
     WHERE m.environment = NEW.environment AND m.stripe_customer_id = customer;
  END IF;
  details := jsonb_build_object('invoice_id', invoice_id, 'customer', customer,
    'subscription', coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription'),
    'attempt_count', attempt::bigint, 'amount_due', (inv ->> 'amount_due')::bigint, 'currency', inv ->> 'currency',
    'billing_reason', inv ->> 'billing_reason',
    'next_payment_attempt', to_timestamp((inv ->> 'next_payment_attempt')::double precision),
    'at', NEW.stripe_created);
  INSERT INTO paywire.billing_audit (environment, entity, stripe_object_id, kind, subject_type, subject_id,
                                     old_status, new_status, stripe_event_id, details)
  VALUES (NEW.environment, 'payment', invoice_id, 'invoice', subject_type, subject_id,
          inv ->> 'status', 'payment_failed', NEW.stripe_event_id, details);
  IF subject_id IS NULL AND customer IS NOT NULL THEN
    RETURN NULL; -- emitted by payment_facts when the invoice row gets its subject
  END IF;
  PERFORM paywire.emit_fact(NEW.environment, 'invoice.payment_failed', 'invoice', invoice_id,
    'invoice.payment_failed:' || invoice_id || ':' || attempt, subject_type, subject_id, NEW.stripe_event_id,
    details - 'at');
  IF subject_id IS NOT NULL THEN
    PERFORM paywire.check_payment_failures(NEW.environment, subject_type, subject_id, NEW.stripe_event_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER invoice_payment_failed_facts AFTER INSERT OR UPDATE OF processing_status ON paywire.webhook_events
  FOR EACH ROW WHEN (NEW.type = 'invoice.payment_failed' AND NEW.processing_status = 'processed')
  EXECUTE FUNCTION paywire.invoice_payment_failed_facts();
--> statement-breakpoint
-- checkout_sessions: checkout.completed once per Stripe session (a request row that never
-- reached Stripe has no session id and is never completed).
CREATE FUNCTION paywire.checkout_facts() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM paywire.emit_fact(NEW.environment, 'checkout.completed', 'checkout_session', NEW.stripe_checkout_session_id,
    'checkout.completed:' || NEW.stripe_checkout_session_id, NEW.subject_type, NEW.subject_id,
    NEW.source_event_id,
    jsonb_build_object('checkout_session_id', NEW.stripe_checkout_session_id, 'paywire_checkout_id', NEW.id,
      'mode', NEW.mode, 'payment_status', NEW.payment_status, 'amount_total', NEW.amount_total,
      'currency', NEW.currency, 'customer', NEW.stripe_customer_id, 'subscription', NEW.stripe_subscription_id,
      'payment_intent', NEW.stripe_payment_intent_id, 'completed_at', NEW.completed_at,
      'metadata', NEW.metadata));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER checkout_facts_insert AFTER INSERT ON paywire.checkout_sessions
  FOR EACH ROW WHEN (NEW.status = 'completed' AND NEW.stripe_checkout_session_id IS NOT NULL
                     AND (NEW.subject_id IS NOT NULL OR NEW.stripe_customer_id IS NULL))
  EXECUTE FUNCTION paywire.checkout_facts();
--> statement-breakpoint
CREATE TRIGGER checkout_facts_update AFTER UPDATE ON paywire.checkout_sessions
  FOR EACH ROW WHEN (NEW.status = 'completed' AND NEW.stripe_checkout_session_id IS NOT NULL
                     AND (NEW.subject_id IS NOT NULL OR NEW.stripe_customer_id IS NULL)
                     AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.subject_id IS DISTINCT FROM NEW.subject_id))
  EXECUTE FUNCTION paywire.checkout_facts();
