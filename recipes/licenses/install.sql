-- Paywire recipe: licenses (recipes/licenses/README.md).
-- One license key per licensed one-time purchase (a completed, paid Checkout session) and per
-- licensed subscription, issued by AFTER triggers on Paywire's projection (paywire.checkout_sessions,
-- subscriptions, subscription_items, payment_history, prices, products). Keys are stored only as a
-- SHA-256 hash and a display prefix; the plaintext waits in license_key_reveals until the app
-- reads it once with reveal_license_key(). Every value is derived from the current projection
-- rows, so redeliveries, replays and out-of-order events converge. Safe to run twice.

create schema if not exists {{schema}};
--> statement-breakpoint

create table if not exists {{schema}}.licenses (
  id uuid primary key default gen_random_uuid(),
  environment text not null check (environment in ('test', 'live')),
  -- what it was issued for: checkout (a one-time purchase) | subscription
  source text not null check (source in ('checkout', 'subscription')),
  -- the Checkout session id or the subscription id
  source_id text not null,
  stripe_customer_id text,
  stripe_payment_intent_id text,
  stripe_subscription_id text,
  subject_type text,
  subject_id text,
  stripe_product_id text,
  stripe_price_id text,
  key_hash text not null,
  key_prefix text not null,
  -- active | revoked (refunded, or revoked by the app: revoked is never undone by a refresh)
  status text not null default 'active' check (status in ('active', 'revoked')),
  revoked_reason text,
  revoked_at timestamptz,
  ip_limit integer,
  hwid_limit integer,
  expiration_days integer,
  -- CREATION | ACTIVATION (one-time purchases; a subscription's license follows its periods)
  expiration_start text not null default 'CREATION' check (expiration_start in ('CREATION', 'ACTIVATION')),
  issued_at timestamptz not null default now(),
  activated_at timestamptz,
  -- null: does not expire (yet)
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint licenses_env_source_uq unique (environment, source, source_id),
  constraint licenses_key_hash_uq unique (key_hash)
);
--> statement-breakpoint
create index if not exists licenses_subject_idx on {{schema}}.licenses (environment, subject_type, subject_id);
--> statement-breakpoint
create index if not exists licenses_payment_idx on {{schema}}.licenses (environment, stripe_payment_intent_id);
--> statement-breakpoint
create index if not exists licenses_product_idx on {{schema}}.licenses (environment, stripe_product_id);
--> statement-breakpoint

-- The plaintext key of a newly issued license until the app hands it to the buyer once.
create table if not exists {{schema}}.license_key_reveals (
  license_id uuid primary key references {{schema}}.licenses (id) on delete cascade,
  environment text not null check (environment in ('test', 'live')),
  license_key text not null,
  created_at timestamptz not null default now()
);
--> statement-breakpoint

create table if not exists {{schema}}.license_activations (
  id uuid primary key default gen_random_uuid(),
  environment text not null check (environment in ('test', 'live')),
  license_id uuid not null references {{schema}}.licenses (id) on delete cascade,
  hwid text not null default '',
  ip text not null default '',
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  constraint license_activations_uq unique (license_id, hwid, ip)
);
--> statement-breakpoint

-- A metadata value as a non-negative integer; anything else (absent, garbage) is null.
create or replace function {{schema}}.license_int(v text) returns integer
language sql immutable
as $$
  select case when btrim(v) ~ '^[0-9]{1,9}$' then btrim(v)::integer end
$$;
--> statement-breakpoint

-- expiration_days as a number of days from 1 to 36500 (100 years); anything else: no expiry
-- (a larger value would overflow the timestamp and fail the projection).
create or replace function {{schema}}.license_days(v text) returns integer
language sql immutable
as $$
  select case when {{schema}}.license_int(v) between 1 and 36500 then {{schema}}.license_int(v) end
$$;
--> statement-breakpoint

-- Does a price/product carry license terms? metadata license=true, or any of the limit keys.
create or replace function {{schema}}.license_terms_in(meta jsonb) returns boolean
language sql immutable
as $$
  select lower(coalesce(meta ->> 'license', '')) in ('true', '1', 'yes', 'on')
      or meta ?| array['ip_limit', 'hwid_limit', 'expiration_days', 'expiration_start']
$$;
--> statement-breakpoint

create or replace function {{schema}}.license_key_hash(p_key text) returns text
language sql immutable
as $$
  select encode(sha256(convert_to(btrim(p_key), 'UTF8')), 'hex')
$$;
--> statement-breakpoint

-- 64 hex digits from two v4 UUIDs (244 random bits from the server's CSPRNG; no pgcrypto needed).
create or replace function {{schema}}.new_license_key() returns text
language sql volatile
as $$
  select 'lk_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')
$$;
--> statement-breakpoint

-- Inserts the license for (source, source_id) once; only the call that inserted it stores the
-- plaintext for reveal. Returns the license id either way.
create or replace function {{schema}}.issue_license(
  p_environment text, p_source text, p_source_id text, p_issued_at timestamptz
) returns uuid
language plpgsql
as $$
DECLARE
  v_key text := {{schema}}.new_license_key();
  v_id uuid;
BEGIN
  INSERT INTO {{schema}}.licenses (environment, source, source_id, key_hash, key_prefix, issued_at)
  VALUES (p_environment, p_source, p_source_id, {{schema}}.license_key_hash(v_key), left(v_key, 11),
          coalesce(p_issued_at, now()))
  ON CONFLICT (environment, source, source_id) DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NOT NULL THEN
    INSERT INTO {{schema}}.license_key_reveals (license_id, environment, license_key)
    VALUES (v_id, p_environment, v_key);
    RETURN v_id;
  END IF;
  SELECT id INTO v_id FROM {{schema}}.licenses
   WHERE environment = p_environment AND source = p_source AND source_id = p_source_id;
  RETURN v_id;
END
$$;
--> statement-breakpoint

-- Copies the terms (limits, expiry rule) of a product/price onto a license; a price's
-- metadata wins over its product's. A CREATION expiry counts from issue, an ACTIVATION one
-- from the first activation.
create or replace function {{schema}}.apply_license_terms(
  p_license uuid, p_price text, p_product text, p_price_meta jsonb, p_product_meta jsonb
) returns void
language plpgsql
as $$
DECLARE
  m jsonb := coalesce(p_product_meta, '{}'::jsonb) || coalesce(p_price_meta, '{}'::jsonb);
  v_start text := CASE WHEN upper(btrim(coalesce(m ->> 'expiration_start', ''))) = 'ACTIVATION'
                       THEN 'ACTIVATION' ELSE 'CREATION' END;
BEGIN
  UPDATE {{schema}}.licenses l SET
    stripe_price_id = p_price,
    stripe_product_id = p_product,
    ip_limit = {{schema}}.license_int(m ->> 'ip_limit'),
    hwid_limit = {{schema}}.license_int(m ->> 'hwid_limit'),
    expiration_days = {{schema}}.license_days(m ->> 'expiration_days'),
    expiration_start = v_start,
    updated_at = now()
  WHERE l.id = p_license
    AND (l.stripe_price_id, l.stripe_product_id, l.ip_limit, l.hwid_limit, l.expiration_days, l.expiration_start)
        IS DISTINCT FROM
        (p_price, p_product, {{schema}}.license_int(m ->> 'ip_limit'), {{schema}}.license_int(m ->> 'hwid_limit'),
         {{schema}}.license_days(m ->> 'expiration_days'), v_start);
END
$$;
--> statement-breakpoint

-- One-time purchase: a completed, paid Checkout session in payment mode whose line items
-- (Paywire's request row: request->'lineItems'; else the session's expanded line_items) hold a
-- licensed price. A full refund of its payment revokes the license.
create or replace function {{schema}}.refresh_checkout_license(p_environment text, p_session text) returns void
language plpgsql
as $$
DECLARE
  cs paywire.checkout_sessions%ROWTYPE;
  v_license {{schema}}.licenses%ROWTYPE;
  v_price text;
  v_product text;
  v_price_meta jsonb;
  v_product_meta jsonb;
  v_charged bigint;
  v_refunded bigint;
  v_id uuid;
BEGIN
  SELECT * INTO cs FROM paywire.checkout_sessions
   WHERE environment = p_environment AND stripe_checkout_session_id = p_session;
  IF NOT FOUND OR cs.mode <> 'payment' THEN
    RETURN;
  END IF;
  SELECT * INTO v_license FROM {{schema}}.licenses
   WHERE environment = p_environment AND source = 'checkout' AND source_id = p_session;

  SELECT p.stripe_price_id, p.stripe_product_id, p.metadata, pr.metadata
    INTO v_price, v_product, v_price_meta, v_product_meta
    FROM jsonb_array_elements(
           CASE WHEN jsonb_typeof(cs.request -> 'lineItems') = 'array' THEN cs.request -> 'lineItems'
                WHEN jsonb_typeof(cs.raw -> 'line_items' -> 'data') = 'array' THEN cs.raw -> 'line_items' -> 'data'
                -- sessions made elsewhere (Payment Links, the Dashboard, the app's own Stripe calls)
                -- carry no line items in their events: metadata license_price names the price
                WHEN cs.metadata ->> 'license_price' IS NOT NULL
                  THEN jsonb_build_array(jsonb_build_object('price', cs.metadata ->> 'license_price',
                                                            'lookupKey', cs.metadata ->> 'license_price'))
                ELSE '[]'::jsonb END
         ) WITH ORDINALITY AS li(item, ord)
    JOIN paywire.prices p
      ON p.environment = p_environment
     AND (p.stripe_price_id = CASE WHEN jsonb_typeof(li.item -> 'price') = 'object'
                                   THEN li.item -> 'price' ->> 'id' ELSE li.item ->> 'price' END
          OR (li.item ->> 'lookupKey' IS NOT NULL AND p.lookup_key = li.item ->> 'lookupKey'))
    LEFT JOIN paywire.products pr
      ON pr.environment = p.environment AND pr.stripe_product_id = p.stripe_product_id
   WHERE {{schema}}.license_terms_in(p.metadata) OR {{schema}}.license_terms_in(pr.metadata)
   ORDER BY li.ord, (p.deleted_at IS NOT NULL), p.active DESC
   LIMIT 1;

  IF v_license.id IS NULL THEN
    IF v_price IS NULL OR cs.status <> 'completed'
       OR coalesce(cs.payment_status, '') NOT IN ('paid', 'no_payment_required') THEN
      RETURN;
    END IF;
    v_id := {{schema}}.issue_license(p_environment, 'checkout', p_session, cs.completed_at);
  ELSE
    v_id := v_license.id;
  END IF;
  IF v_price IS NOT NULL THEN
    PERFORM {{schema}}.apply_license_terms(v_id, v_price, v_product, v_price_meta, v_product_meta);
  END IF;

  -- Refunded in full (the payment intent's amount_refunded, or its succeeded refunds)?
  SELECT greatest(max(amount) FILTER (WHERE kind IN ('payment_intent', 'checkout_session')), 0),
         greatest(coalesce(max(amount_refunded) FILTER (WHERE kind = 'payment_intent'), 0),
                  coalesce(sum(amount) FILTER (WHERE kind = 'refund' AND status = 'succeeded'), 0))
    INTO v_charged, v_refunded
    FROM paywire.payment_history
   WHERE environment = p_environment AND cs.stripe_payment_intent_id IS NOT NULL
     AND stripe_payment_intent_id = cs.stripe_payment_intent_id;
  v_charged := coalesce(cs.amount_total, v_charged, 0);

  UPDATE {{schema}}.licenses l SET
    stripe_customer_id = coalesce(cs.stripe_customer_id, l.stripe_customer_id),
    stripe_payment_intent_id = coalesce(cs.stripe_payment_intent_id, l.stripe_payment_intent_id),
    subject_type = coalesce(cs.subject_type, l.subject_type),
    subject_id = coalesce(cs.subject_id, l.subject_id),
    status = CASE WHEN v_charged > 0 AND v_refunded >= v_charged THEN 'revoked' ELSE l.status END,
    revoked_reason = CASE WHEN l.status = 'active' AND v_charged > 0 AND v_refunded >= v_charged
                          THEN 'refunded' ELSE l.revoked_reason END,
    revoked_at = CASE WHEN l.status = 'active' AND v_charged > 0 AND v_refunded >= v_charged
                      THEN now() ELSE l.revoked_at END,
    expires_at = CASE
      WHEN l.expiration_days IS NULL THEN NULL
      WHEN l.expiration_start = 'CREATION' THEN l.issued_at + make_interval(days => l.expiration_days)
      WHEN l.activated_at IS NOT NULL THEN l.activated_at + make_interval(days => l.expiration_days)
      ELSE NULL END,
    updated_at = now()
  WHERE l.id = v_id
    AND (l.stripe_customer_id IS DISTINCT FROM coalesce(cs.stripe_customer_id, l.stripe_customer_id)
      OR l.stripe_payment_intent_id IS DISTINCT FROM coalesce(cs.stripe_payment_intent_id, l.stripe_payment_intent_id)
      OR l.subject_type IS DISTINCT FROM coalesce(cs.subject_type, l.subject_type)
      OR l.subject_id IS DISTINCT FROM coalesce(cs.subject_id, l.subject_id)
      OR (l.status = 'active' AND v_charged > 0 AND v_refunded >= v_charged)
      OR l.expires_at IS DISTINCT FROM CASE
           WHEN l.expiration_days IS NULL THEN NULL
           WHEN l.expiration_start = 'CREATION' THEN l.issued_at + make_interval(days => l.expiration_days)
           WHEN l.activated_at IS NOT NULL THEN l.activated_at + make_interval(days => l.expiration_days)
           ELSE NULL END);
END
$$;
--> statement-breakpoint

-- Subscription: one license per subscription with a licensed item. Valid through the paid
-- period: while active/trialing it expires at current_period_end (so each renewal extends it);
-- otherwise at the end of what was paid for: current_period_end if the latest invoice is paid,
-- else current_period_start (Stripe opens the next period when it bills it), and never after
-- ended_at.
create or replace function {{schema}}.refresh_subscription_license(p_environment text, p_subscription text)
returns void
language plpgsql
as $$
DECLARE
  s paywire.subscriptions%ROWTYPE;
  v_license {{schema}}.licenses%ROWTYPE;
  v_price text;
  v_product text;
  v_price_meta jsonb;
  v_product_meta jsonb;
  v_latest_paid boolean;
  v_expires timestamptz;
  v_id uuid;
BEGIN
  SELECT * INTO s FROM paywire.subscriptions
   WHERE environment = p_environment AND stripe_subscription_id = p_subscription;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT * INTO v_license FROM {{schema}}.licenses
   WHERE environment = p_environment AND source = 'subscription' AND source_id = p_subscription;

  SELECT x.price, x.product, x.price_meta, x.product_meta
    INTO v_price, v_product, v_price_meta, v_product_meta
    FROM (
      SELECT p.stripe_price_id AS price, p.stripe_product_id AS product, p.metadata AS price_meta,
             pr.metadata AS product_meta, coalesce((i.raw ->> 'created')::bigint, 0) AS created,
             i.stripe_subscription_item_id AS item_id
        FROM paywire.subscription_items i
        JOIN paywire.prices p ON p.environment = i.environment AND p.stripe_price_id = i.stripe_price_id
        LEFT JOIN paywire.products pr ON pr.environment = p.environment AND pr.stripe_product_id = p.stripe_product_id
       WHERE i.environment = p_environment AND i.stripe_subscription_id = p_subscription AND i.deleted_at IS NULL
      UNION ALL
      SELECT p.stripe_price_id, p.stripe_product_id, p.metadata, pr.metadata, 9223372036854775807, ''
        FROM paywire.prices p
        LEFT JOIN paywire.products pr ON pr.environment = p.environment AND pr.stripe_product_id = p.stripe_product_id
       WHERE p.environment = p_environment AND p.stripe_price_id = s.stripe_price_id
    ) x
   WHERE {{schema}}.license_terms_in(x.price_meta) OR {{schema}}.license_terms_in(x.product_meta)
   ORDER BY x.created, x.item_id
   LIMIT 1;

  IF v_license.id IS NULL THEN
    -- a subscription that never started (its first payment never made) gets no license
    IF v_price IS NULL OR s.status IN ('incomplete', 'incomplete_expired') THEN
      RETURN;
    END IF;
    v_id := {{schema}}.issue_license(p_environment, 'subscription', p_subscription,
              CASE WHEN s.stripe_created IS NOT NULL THEN to_timestamp(s.stripe_created) END);
  ELSE
    v_id := v_license.id;
  END IF;
  IF v_price IS NOT NULL THEN
    PERFORM {{schema}}.apply_license_terms(v_id, v_price, v_product, v_price_meta, v_product_meta);
  END IF;

  IF s.deleted_at IS NULL AND s.ended_at IS NULL AND s.status IN ('active', 'trialing') THEN
    v_expires := coalesce(s.current_period_end, s.trial_end);
  ELSE
    SELECT EXISTS (
      SELECT 1 FROM paywire.payment_history h
       WHERE h.environment = p_environment AND h.kind = 'invoice'
         AND h.stripe_object_id = s.latest_invoice_id AND h.status = 'paid'
    ) INTO v_latest_paid;
    v_expires := least(CASE WHEN v_latest_paid THEN s.current_period_end ELSE s.current_period_start END,
                       s.ended_at);
    v_expires := coalesce(v_expires, s.ended_at, s.current_period_start, now());
  END IF;

  UPDATE {{schema}}.licenses l SET
    stripe_customer_id = s.stripe_customer_id,
    stripe_subscription_id = p_subscription,
    subject_type = coalesce(s.subject_type, l.subject_type),
    subject_id = coalesce(s.subject_id, l.subject_id),
    expires_at = v_expires,
    updated_at = now()
  WHERE l.id = v_id
    AND (l.stripe_customer_id, l.stripe_subscription_id, l.subject_type, l.subject_id, l.expires_at)
        IS DISTINCT FROM
        (s.stripe_customer_id, p_subscription, coalesce(s.subject_type, l.subject_type),
         coalesce(s.subject_id, l.subject_id), v_expires);
END
$$;
--> statement-breakpoint

create or replace function {{schema}}.licenses_on_checkout() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
BEGIN
  IF NEW.stripe_checkout_session_id IS NOT NULL AND NEW.mode = 'payment' THEN
    PERFORM {{schema}}.refresh_checkout_license(NEW.environment, NEW.stripe_checkout_session_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

create or replace function {{schema}}.licenses_on_subscription() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
BEGIN
  PERFORM {{schema}}.refresh_subscription_license(NEW.environment, NEW.stripe_subscription_id);
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- Payments: a refund (or the payment intent's amount_refunded) may revoke a purchase's license;
-- an invoice decides how far a lapsed subscription's license was paid for.
create or replace function {{schema}}.licenses_on_payment() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  r record;
BEGIN
  IF NEW.kind = 'invoice' THEN
    IF NEW.stripe_subscription_id IS NOT NULL THEN
      PERFORM {{schema}}.refresh_subscription_license(NEW.environment, NEW.stripe_subscription_id);
    END IF;
  ELSIF NEW.stripe_payment_intent_id IS NOT NULL THEN
    FOR r IN
      SELECT source_id FROM {{schema}}.licenses
       WHERE environment = NEW.environment AND source = 'checkout'
         AND stripe_payment_intent_id = NEW.stripe_payment_intent_id
    LOOP
      PERFORM {{schema}}.refresh_checkout_license(NEW.environment, r.source_id);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- A price or product projected after the purchase, or its terms edited: issue what was waiting
-- for it and refresh the licenses that use it.
create or replace function {{schema}}.licenses_on_catalog() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  r record;
  v_price text;
  v_product text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.metadata IS NOT DISTINCT FROM NEW.metadata THEN
    RETURN NULL;
  END IF;
  -- NEW of a product has no stripe_price_id: read it only on prices
  IF TG_TABLE_NAME = 'prices' THEN
    -- A price licenses nothing unless it or its product carries terms (the product's triggers
    -- fire only for terms): then nothing that names it can change. (A trigger's WHEN cannot
    -- read the product, hence this check here.)
    IF NOT {{schema}}.license_terms_in(NEW.metadata)
       AND NOT (TG_OP = 'UPDATE' AND {{schema}}.license_terms_in(OLD.metadata))
       AND NOT EXISTS (SELECT 1 FROM paywire.products pr
                        WHERE pr.environment = NEW.environment AND pr.stripe_product_id = NEW.stripe_product_id
                          AND {{schema}}.license_terms_in(pr.metadata)) THEN
      RETURN NULL;
    END IF;
    v_price := NEW.stripe_price_id;
  ELSE
    v_product := NEW.stripe_product_id;
  END IF;
  FOR r IN
    SELECT p.stripe_price_id, p.lookup_key FROM paywire.prices p
     WHERE p.environment = NEW.environment
       AND (p.stripe_price_id = v_price OR p.stripe_product_id = v_product)
  LOOP
    PERFORM {{schema}}.refresh_checkout_license(NEW.environment, cs.stripe_checkout_session_id)
       FROM paywire.checkout_sessions cs
      WHERE cs.environment = NEW.environment AND cs.mode = 'payment' AND cs.status = 'completed'
        AND cs.stripe_checkout_session_id IS NOT NULL
        AND (cs.request -> 'lineItems' @> jsonb_build_array(jsonb_build_object('price', r.stripe_price_id))
             OR (r.lookup_key IS NOT NULL
                 AND cs.request -> 'lineItems' @> jsonb_build_array(jsonb_build_object('lookupKey', r.lookup_key)))
             OR cs.metadata ->> 'license_price' IN (r.stripe_price_id, r.lookup_key));
    PERFORM {{schema}}.refresh_subscription_license(NEW.environment, x.stripe_subscription_id)
       FROM (SELECT i.stripe_subscription_id FROM paywire.subscription_items i
              WHERE i.environment = NEW.environment AND i.stripe_price_id = r.stripe_price_id
             UNION
             SELECT s.stripe_subscription_id FROM paywire.subscriptions s
              WHERE s.environment = NEW.environment AND s.stripe_price_id = r.stripe_price_id) x;
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- INSERT and UPDATE triggers apart, so that an UPDATE fires only when a column the refresh reads
-- changed: a redelivery or replay that only bumps the recency columns (source_ts, source_rank,
-- source_event_id, raw, updated_at) runs no PL/pgSQL. The lists hold every column but those
-- (and of raw the parts the refresh reads: a session's line_items, an item's created).
drop trigger if exists {{schema}}_licenses_checkouts on paywire.checkout_sessions;
--> statement-breakpoint
create trigger {{schema}}_licenses_checkouts after insert on paywire.checkout_sessions
  for each row when (new.stripe_checkout_session_id is not null and new.mode = 'payment')
  execute function {{schema}}.licenses_on_checkout();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_checkouts_changed on paywire.checkout_sessions;
--> statement-breakpoint
create trigger {{schema}}_licenses_checkouts_changed after update on paywire.checkout_sessions
  for each row when (new.stripe_checkout_session_id is not null and new.mode = 'payment' and
    (old.environment, old.subject_type, old.subject_id, old.created_by, old.idempotency_key,
     old.request_hash, old.mode, old.request, old.status, old.stripe_checkout_session_id,
     old.stripe_customer_id, old.url, old.payment_status, old.amount_total, old.currency,
     old.stripe_subscription_id, old.stripe_payment_intent_id, old.last_error, old.completed_at,
     old.expires_at, old.metadata, old.deleted_at, old.raw -> 'line_items')
    is distinct from
    (new.environment, new.subject_type, new.subject_id, new.created_by, new.idempotency_key,
     new.request_hash, new.mode, new.request, new.status, new.stripe_checkout_session_id,
     new.stripe_customer_id, new.url, new.payment_status, new.amount_total, new.currency,
     new.stripe_subscription_id, new.stripe_payment_intent_id, new.last_error, new.completed_at,
     new.expires_at, new.metadata, new.deleted_at, new.raw -> 'line_items'))
  execute function {{schema}}.licenses_on_checkout();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_subscriptions on paywire.subscriptions;
--> statement-breakpoint
create trigger {{schema}}_licenses_subscriptions after insert on paywire.subscriptions
  for each row execute function {{schema}}.licenses_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_subscriptions_changed on paywire.subscriptions;
--> statement-breakpoint
create trigger {{schema}}_licenses_subscriptions_changed after update on paywire.subscriptions
  for each row when (
    (old.environment, old.stripe_subscription_id, old.stripe_customer_id, old.subject_type,
     old.subject_id, old.status, old.cancel_at_period_end, old.cancel_at, old.canceled_at,
     old.ended_at, old.trial_start, old.trial_end, old.current_period_start, old.current_period_end,
     old.collection_method, old.latest_invoice_id, old.stripe_price_id, old.metadata,
     old.stripe_created, old.deleted_at)
    is distinct from
    (new.environment, new.stripe_subscription_id, new.stripe_customer_id, new.subject_type,
     new.subject_id, new.status, new.cancel_at_period_end, new.cancel_at, new.canceled_at,
     new.ended_at, new.trial_start, new.trial_end, new.current_period_start, new.current_period_end,
     new.collection_method, new.latest_invoice_id, new.stripe_price_id, new.metadata,
     new.stripe_created, new.deleted_at))
  execute function {{schema}}.licenses_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_items on paywire.subscription_items;
--> statement-breakpoint
create trigger {{schema}}_licenses_items after insert on paywire.subscription_items
  for each row execute function {{schema}}.licenses_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_items_changed on paywire.subscription_items;
--> statement-breakpoint
create trigger {{schema}}_licenses_items_changed after update on paywire.subscription_items
  for each row when (
    (old.environment, old.stripe_subscription_item_id, old.stripe_subscription_id,
     old.stripe_price_id, old.stripe_product_id, old.quantity, old.current_period_start,
     old.current_period_end, old.metadata, old.deleted_at, old.raw ->> 'created')
    is distinct from
    (new.environment, new.stripe_subscription_item_id, new.stripe_subscription_id,
     new.stripe_price_id, new.stripe_product_id, new.quantity, new.current_period_start,
     new.current_period_end, new.metadata, new.deleted_at, new.raw ->> 'created'))
  execute function {{schema}}.licenses_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_payments on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_licenses_payments after insert on paywire.payment_history
  for each row when ((new.kind = 'invoice' and new.stripe_subscription_id is not null)
       or (new.kind <> 'invoice' and new.stripe_payment_intent_id is not null))
  execute function {{schema}}.licenses_on_payment();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_payments_changed on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_licenses_payments_changed after update on paywire.payment_history
  for each row when (((new.kind = 'invoice' and new.stripe_subscription_id is not null)
       or (new.kind <> 'invoice' and new.stripe_payment_intent_id is not null)) and
    (old.environment, old.kind, old.stripe_object_id, old.stripe_customer_id, old.subject_type,
     old.subject_id, old.stripe_invoice_id, old.stripe_payment_intent_id, old.stripe_charge_id,
     old.stripe_subscription_id, old.stripe_checkout_session_id, old.amount, old.amount_refunded,
     old.currency, old.status, old.description, old.occurred_at, old.metadata, old.deleted_at)
    is distinct from
    (new.environment, new.kind, new.stripe_object_id, new.stripe_customer_id, new.subject_type,
     new.subject_id, new.stripe_invoice_id, new.stripe_payment_intent_id, new.stripe_charge_id,
     new.stripe_subscription_id, new.stripe_checkout_session_id, new.amount, new.amount_refunded,
     new.currency, new.status, new.description, new.occurred_at, new.metadata, new.deleted_at))
  execute function {{schema}}.licenses_on_payment();
--> statement-breakpoint
-- Prices: every new price (its product may carry the terms; licenses_on_catalog returns at once
-- when neither does), a price whose metadata changed.
drop trigger if exists {{schema}}_licenses_prices on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_licenses_prices after insert on paywire.prices
  for each row execute function {{schema}}.licenses_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_prices_changed on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_licenses_prices_changed after update on paywire.prices
  for each row when (old.metadata is distinct from new.metadata)
  execute function {{schema}}.licenses_on_catalog();
--> statement-breakpoint
-- Products: only one whose metadata holds (or held) license terms (license_terms_in, inline) can
-- change a license; a product without terms never licenses a price nor changes its terms.
drop trigger if exists {{schema}}_licenses_products on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_licenses_products after insert on paywire.products
  for each row when (lower(coalesce(new.metadata ->> 'license', '')) in ('true', '1', 'yes', 'on')
       or new.metadata ?| array['ip_limit', 'hwid_limit', 'expiration_days', 'expiration_start'])
  execute function {{schema}}.licenses_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_licenses_products_changed on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_licenses_products_changed after update on paywire.products
  for each row when (old.metadata is distinct from new.metadata
    and (lower(coalesce(old.metadata ->> 'license', '')) in ('true', '1', 'yes', 'on')
         or old.metadata ?| array['ip_limit', 'hwid_limit', 'expiration_days', 'expiration_start']
         or lower(coalesce(new.metadata ->> 'license', '')) in ('true', '1', 'yes', 'on')
         or new.metadata ?| array['ip_limit', 'hwid_limit', 'expiration_days', 'expiration_start']))
  execute function {{schema}}.licenses_on_catalog();
--> statement-breakpoint

-- The plaintext key of a new license, once: the row is deleted as it is read.
create or replace function {{schema}}.reveal_license_key(p_license_id uuid) returns text
language sql volatile
security definer set search_path = pg_catalog, pg_temp
as $$
  delete from {{schema}}.license_key_reveals where license_id = p_license_id returning license_key
$$;
--> statement-breakpoint

-- A new key for a license (the buyer lost it, or it leaked): the old one stops working at once.
-- Returns the new plaintext (also stored for reveal_license_key, replacing an unread one).
create or replace function {{schema}}.reissue_license_key(p_license_id uuid) returns text
language plpgsql volatile
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  v_key text := {{schema}}.new_license_key();
  v_env text;
BEGIN
  UPDATE {{schema}}.licenses SET key_hash = {{schema}}.license_key_hash(v_key), key_prefix = left(v_key, 11),
         updated_at = now()
   WHERE id = p_license_id RETURNING environment INTO v_env;
  IF v_env IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO {{schema}}.license_key_reveals (license_id, environment, license_key) VALUES (p_license_id, v_env, v_key)
  ON CONFLICT (license_id) DO UPDATE SET license_key = excluded.license_key, created_at = now();
  RETURN v_key;
END
$$;
--> statement-breakpoint

-- { valid, reason: valid | not_found | revoked | expired, license: {…} } at `p_at` (default now).
create or replace function {{schema}}.validate_license(p_environment text, p_key text, p_at timestamptz default now())
returns jsonb
language plpgsql stable
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  l {{schema}}.licenses%ROWTYPE;
  v_reason text;
BEGIN
  SELECT * INTO l FROM {{schema}}.licenses
   WHERE environment = p_environment AND key_hash = {{schema}}.license_key_hash(p_key);
  IF NOT FOUND THEN
    RETURN jsonb_build_object('valid', false, 'reason', 'not_found');
  END IF;
  v_reason := CASE WHEN l.status = 'revoked' THEN 'revoked'
                   WHEN l.expires_at IS NOT NULL AND l.expires_at <= p_at THEN 'expired'
                   ELSE 'valid' END;
  RETURN jsonb_build_object(
    'valid', v_reason = 'valid',
    'reason', v_reason,
    'license', jsonb_build_object(
      'id', l.id, 'key_prefix', l.key_prefix, 'status', l.status, 'source', l.source,
      'subject_type', l.subject_type, 'subject_id', l.subject_id,
      'stripe_product_id', l.stripe_product_id, 'stripe_price_id', l.stripe_price_id,
      'expires_at', l.expires_at, 'activated_at', l.activated_at,
      'ip_limit', l.ip_limit, 'hwid_limit', l.hwid_limit,
      'activations', (SELECT count(*) FROM {{schema}}.license_activations a WHERE a.license_id = l.id)));
END
$$;
--> statement-breakpoint

-- Records an activation of the key on a machine (hwid) from an address (ip), enforcing the
-- license's hwid_limit (distinct machines) and ip_limit (distinct addresses); a machine or
-- address already counted is always let back in. The first activation starts an ACTIVATION
-- expiry. Answers like validate_license, with reason hwid_limit_reached / ip_limit_reached.
create or replace function {{schema}}.activate_license(p_environment text, p_key text, p_hwid text, p_ip text)
returns jsonb
language plpgsql volatile
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  l {{schema}}.licenses%ROWTYPE;
  v_hwid text := coalesce(btrim(p_hwid), '');
  v_ip text := coalesce(btrim(p_ip), '');
  v_check jsonb;
BEGIN
  SELECT * INTO l FROM {{schema}}.licenses
   WHERE environment = p_environment AND key_hash = {{schema}}.license_key_hash(p_key)
   FOR UPDATE;
  v_check := {{schema}}.validate_license(p_environment, p_key);
  IF l.id IS NULL OR NOT (v_check ->> 'valid')::boolean THEN
    RETURN v_check;
  END IF;
  IF l.hwid_limit IS NOT NULL AND v_hwid <> ''
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.license_activations WHERE license_id = l.id AND hwid = v_hwid)
     AND (SELECT count(DISTINCT hwid) FROM {{schema}}.license_activations
           WHERE license_id = l.id AND hwid <> '') >= l.hwid_limit THEN
    RETURN v_check || jsonb_build_object('valid', false, 'reason', 'hwid_limit_reached');
  END IF;
  IF l.ip_limit IS NOT NULL AND v_ip <> ''
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.license_activations WHERE license_id = l.id AND ip = v_ip)
     AND (SELECT count(DISTINCT ip) FROM {{schema}}.license_activations
           WHERE license_id = l.id AND ip <> '') >= l.ip_limit THEN
    RETURN v_check || jsonb_build_object('valid', false, 'reason', 'ip_limit_reached');
  END IF;
  INSERT INTO {{schema}}.license_activations (environment, license_id, hwid, ip)
  VALUES (p_environment, l.id, v_hwid, v_ip)
  ON CONFLICT (license_id, hwid, ip) DO UPDATE SET last_seen_at = now();
  IF l.activated_at IS NULL THEN
    UPDATE {{schema}}.licenses SET
      activated_at = now(),
      expires_at = CASE WHEN source = 'checkout' AND expiration_start = 'ACTIVATION' AND expiration_days IS NOT NULL
                        THEN now() + make_interval(days => expiration_days) ELSE expires_at END,
      updated_at = now()
     WHERE id = l.id;
  END IF;
  RETURN {{schema}}.validate_license(p_environment, p_key);
END
$$;
--> statement-breakpoint

-- Frees a machine's seat (every activation of the key with that hwid).
create or replace function {{schema}}.deactivate_license(p_environment text, p_key text, p_hwid text)
returns integer
language sql volatile
security definer set search_path = pg_catalog, pg_temp
as $$
  with gone as (
    delete from {{schema}}.license_activations a
     using {{schema}}.licenses l
     where l.environment = p_environment and l.key_hash = {{schema}}.license_key_hash(p_key)
       and a.license_id = l.id and a.hwid = coalesce(btrim(p_hwid), '')
    returning 1)
  select count(*)::integer from gone
$$;
--> statement-breakpoint

-- Purchases and subscriptions projected before the recipe was installed.
select {{schema}}.refresh_checkout_license(environment, stripe_checkout_session_id)
  from paywire.checkout_sessions
 where mode = 'payment' and status = 'completed' and stripe_checkout_session_id is not null;
--> statement-breakpoint
select {{schema}}.refresh_subscription_license(environment, stripe_subscription_id) from paywire.subscriptions;
--> statement-breakpoint

-- The key functions run as the recipe's owner: callers need EXECUTE only, never the plaintext
-- table. The app's server-side role may call them and read the licenses and activations.
revoke all on function {{schema}}.reveal_license_key(uuid), {{schema}}.reissue_license_key(uuid),
  {{schema}}.validate_license(text, text, timestamptz), {{schema}}.activate_license(text, text, text, text),
  {{schema}}.deactivate_license(text, text, text) from public;
--> statement-breakpoint
-- The security definer functions run as the recipe's owner, past RLS: nobody else may call them
-- (Postgres lets PUBLIC execute a new function). Triggers fire them whoever writes the row.
do $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure from pg_proc p
     where p.pronamespace = '{{schema}}'::regnamespace and p.prosecdef
       and p.proname in ('licenses_on_checkout', 'licenses_on_subscription', 'licenses_on_payment', 'licenses_on_catalog')
  loop
    execute format('revoke all on function %s from public', f);
  end loop;
end
$$;
--> statement-breakpoint
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'paywire_service') then
    grant usage on schema {{schema}} to paywire_service;
    grant select on {{schema}}.licenses, {{schema}}.license_activations to paywire_service;
    grant execute on function {{schema}}.reveal_license_key(uuid), {{schema}}.reissue_license_key(uuid),
      {{schema}}.validate_license(text, text, timestamptz), {{schema}}.activate_license(text, text, text, text),
      {{schema}}.deactivate_license(text, text, text) to paywire_service;
  end if;
end
$$;
