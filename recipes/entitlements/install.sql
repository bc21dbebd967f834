-- Paywire recipe: entitlements (recipes/entitlements/README.md).
-- One row per (environment, subscription) in {{schema}}.entitlements, kept in step with Paywire's
-- projection (paywire.subscriptions, subscription_items, prices, products) by AFTER triggers.
-- Every value is derived from the current projection rows, never from an event's delta, so
-- redeliveries, replays and out-of-order events converge to the same row. Safe to run twice.

create schema if not exists {{schema}};
--> statement-breakpoint

create table if not exists {{schema}}.entitlement_settings (
  environment text primary key check (environment in ('test', 'live')),
  -- how long a past_due subscription keeps its entitlement (from when it became past_due)
  grace_period interval not null default interval '7 days' check (grace_period >= interval '0'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
--> statement-breakpoint
insert into {{schema}}.entitlement_settings (environment) values ('test'), ('live')
  on conflict (environment) do nothing;
--> statement-breakpoint

create table if not exists {{schema}}.entitlements (
  id uuid primary key default gen_random_uuid(),
  environment text not null check (environment in ('test', 'live')),
  stripe_subscription_id text not null,
  stripe_customer_id text,
  -- the billing subject (user, team, org…); null until Paywire knows the customer's subject
  subject_type text,
  subject_id text,
  -- pending (incomplete) | trialing | active | grace (past_due) | paused | revoked
  state text not null check (state in ('pending', 'trialing', 'active', 'grace', 'paused', 'revoked')),
  subscription_status text not null,
  plan text,
  features jsonb not null default '{}'::jsonb,
  quantity integer,
  stripe_price_id text,
  stripe_product_id text,
  trial_end timestamptz,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  past_due_since timestamptz,
  granted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entitlements_env_subscription_uq unique (environment, stripe_subscription_id)
);
--> statement-breakpoint
create index if not exists entitlements_subject_idx
  on {{schema}}.entitlements (environment, subject_type, subject_id);
--> statement-breakpoint

-- feature_<name> = true|1|yes|on (anything else: false) → features.<name> boolean;
-- limit_<name> = a number → features.<name> number, "unlimited" → "unlimited".
-- A limit_ and a feature_ of the same name: the limit wins.
create or replace function {{schema}}.entitlement_features_of(meta jsonb) returns jsonb
language sql immutable
as $$
  select coalesce(jsonb_object_agg(f.name, f.value order by f.kind), '{}'::jsonb)
    from (
      select substr(m.key, 9) as name,
             to_jsonb(lower(btrim(m.value)) in ('true', '1', 'yes', 'on')) as value,
             0 as kind
        from jsonb_each_text(case when jsonb_typeof(meta) = 'object' then meta else '{}'::jsonb end) as m(key, value)
       where m.key like 'feature\_%' and length(m.key) > 8
      union all
      select substr(m.key, 7),
             case
               when btrim(m.value) ~ '^-?[0-9]{1,15}(\.[0-9]{1,6})?$' then to_jsonb(btrim(m.value)::numeric)
               when lower(btrim(m.value)) in ('unlimited', 'infinity', 'inf') then to_jsonb('unlimited'::text)
               else to_jsonb(m.value)
             end,
             1
        from jsonb_each_text(case when jsonb_typeof(meta) = 'object' then meta else '{}'::jsonb end) as m(key, value)
       where m.key like 'limit\_%' and length(m.key) > 6
    ) f
$$;
--> statement-breakpoint

-- Is an entitlement in `state` (past_due since `past_due_since`) granted at `at`?
create or replace function {{schema}}.entitlement_granted(
  p_environment text, p_state text, p_past_due_since timestamptz, p_at timestamptz
) returns boolean
language sql stable
as $$
  select p_state in ('trialing', 'active')
      or (p_state = 'grace' and p_at < p_past_due_since + coalesce(
            (select s.grace_period from {{schema}}.entitlement_settings s where s.environment = p_environment),
            interval '7 days'))
$$;
--> statement-breakpoint

-- Recomputes one subscription's entitlement from the projection as it is now.
create or replace function {{schema}}.refresh_entitlement(p_environment text, p_subscription text) returns void
language plpgsql
as $$
DECLARE
  s paywire.subscriptions%ROWTYPE;
  v_state text;
  v_event_time timestamptz;
  v_plan text;
  v_price text;
  v_product text;
  v_quantity integer;
  v_features jsonb;
BEGIN
  SELECT * INTO s FROM paywire.subscriptions
   WHERE environment = p_environment AND stripe_subscription_id = p_subscription;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  v_state := CASE
    WHEN s.deleted_at IS NOT NULL OR s.ended_at IS NOT NULL THEN 'revoked'
    WHEN s.status = 'trialing' THEN 'trialing'
    WHEN s.status = 'active' THEN 'active'
    WHEN s.status = 'past_due' THEN 'grace'
    WHEN s.status = 'incomplete' THEN 'pending'
    WHEN s.status = 'paused' THEN 'paused'
    ELSE 'revoked' -- canceled, unpaid, incomplete_expired
  END;
  -- When Stripe reached this state (the event's time), not when the delivery arrived.
  v_event_time := CASE WHEN s.source_ts > 0 THEN to_timestamp(s.source_ts) ELSE now() END;

  -- The subscription's items (the first item's price as a fallback until the items are
  -- projected), each with its price's and product's metadata.
  WITH items AS (
    SELECT i.stripe_price_id AS price,
           coalesce(i.stripe_product_id, p.stripe_product_id) AS product,
           i.quantity,
           coalesce(p.metadata, '{}'::jsonb) AS price_meta,
           coalesce(pr.metadata, '{}'::jsonb) AS product_meta,
           coalesce((i.raw ->> 'created')::bigint, 0) AS created,
           i.stripe_subscription_item_id AS item_id
      FROM paywire.subscription_items i
      LEFT JOIN paywire.prices p
        ON p.environment = i.environment AND p.stripe_price_id = i.stripe_price_id
      LEFT JOIN paywire.products pr
        ON pr.environment = i.environment AND pr.stripe_product_id = coalesce(i.stripe_product_id, p.stripe_product_id)
     WHERE i.environment = p_environment AND i.stripe_subscription_id = p_subscription AND i.deleted_at IS NULL
    UNION ALL
    SELECT s.stripe_price_id, p.stripe_product_id, NULL::integer,
           coalesce(p.metadata, '{}'::jsonb), coalesce(pr.metadata, '{}'::jsonb), 0, ''
      FROM (SELECT 1) one
      LEFT JOIN paywire.prices p ON p.environment = p_environment AND p.stripe_price_id = s.stripe_price_id
      LEFT JOIN paywire.products pr ON pr.environment = p_environment AND pr.stripe_product_id = p.stripe_product_id
     WHERE s.stripe_price_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM paywire.subscription_items i
                        WHERE i.environment = p_environment AND i.stripe_subscription_id = p_subscription
                          AND i.deleted_at IS NULL)
  ),
  ranked AS (
    SELECT items.*,
           coalesce(price_meta ->> 'plan', product_meta ->> 'plan') AS plan,
           {{schema}}.entitlement_features_of(product_meta) || {{schema}}.entitlement_features_of(price_meta) AS feats,
           row_number() OVER (
             ORDER BY (coalesce(price_meta ->> 'plan', product_meta ->> 'plan') IS NULL), created, item_id
           ) AS rank
      FROM items
  ),
  merged AS (
    -- across items: numbers take the greatest, booleans any, "unlimited" beats a number
    SELECT coalesce(jsonb_object_agg(name, value), '{}'::jsonb) AS features
      FROM (
        SELECT f.key AS name,
               CASE
                 WHEN bool_or(f.value = '"unlimited"'::jsonb) THEN '"unlimited"'::jsonb
                 -- (each aggregate is computed for every group: cast only values of the right type)
                 WHEN bool_and(jsonb_typeof(f.value) = 'number')
                   THEN to_jsonb(max(CASE WHEN jsonb_typeof(f.value) = 'number' THEN (f.value #>> '{}')::numeric END))
                 WHEN bool_and(jsonb_typeof(f.value) = 'boolean')
                   THEN to_jsonb(bool_or(CASE WHEN jsonb_typeof(f.value) = 'boolean' THEN (f.value #>> '{}')::boolean END))
                 ELSE (array_agg(f.value ORDER BY r.rank))[1]
               END AS value
          FROM ranked r, jsonb_each(r.feats) f
         GROUP BY f.key
      ) x
  )
  SELECT r.plan, r.price, r.product, r.quantity, (SELECT features FROM merged)
    INTO v_plan, v_price, v_product, v_quantity, v_features
    FROM ranked r
   WHERE r.rank = 1;

  INSERT INTO {{schema}}.entitlements AS e (
    environment, stripe_subscription_id, stripe_customer_id, subject_type, subject_id, state,
    subscription_status, plan, features, quantity, stripe_price_id, stripe_product_id, trial_end,
    current_period_start, current_period_end, cancel_at_period_end, past_due_since, granted_at, revoked_at
  ) VALUES (
    p_environment, p_subscription, s.stripe_customer_id, s.subject_type, s.subject_id, v_state,
    s.status, v_plan, coalesce(v_features, '{}'::jsonb), v_quantity, coalesce(v_price, s.stripe_price_id),
    v_product, s.trial_end, s.current_period_start, s.current_period_end, s.cancel_at_period_end,
    CASE WHEN v_state = 'grace' THEN v_event_time END,
    CASE WHEN v_state IN ('trialing', 'active', 'grace') THEN v_event_time END,
    CASE WHEN v_state = 'revoked' THEN coalesce(s.ended_at, v_event_time) END
  )
  ON CONFLICT (environment, stripe_subscription_id) DO UPDATE SET
    stripe_customer_id = excluded.stripe_customer_id,
    subject_type = excluded.subject_type,
    subject_id = excluded.subject_id,
    state = excluded.state,
    subscription_status = excluded.subscription_status,
    plan = excluded.plan,
    features = excluded.features,
    quantity = excluded.quantity,
    stripe_price_id = excluded.stripe_price_id,
    stripe_product_id = excluded.stripe_product_id,
    trial_end = excluded.trial_end,
    current_period_start = excluded.current_period_start,
    current_period_end = excluded.current_period_end,
    cancel_at_period_end = excluded.cancel_at_period_end,
    -- a subscription that stays past_due keeps the time it first became past_due
    past_due_since = CASE WHEN e.state = 'grace' AND excluded.state = 'grace'
                          THEN coalesce(e.past_due_since, excluded.past_due_since)
                          ELSE excluded.past_due_since END,
    granted_at = coalesce(e.granted_at, excluded.granted_at),
    revoked_at = CASE WHEN e.state = 'revoked' AND excluded.state = 'revoked'
                      THEN coalesce(e.revoked_at, excluded.revoked_at)
                      ELSE excluded.revoked_at END,
    updated_at = now()
  WHERE (e.stripe_customer_id, e.subject_type, e.subject_id, e.state, e.subscription_status, e.plan,
         e.features, e.quantity, e.stripe_price_id, e.stripe_product_id, e.trial_end,
         e.current_period_start, e.current_period_end, e.cancel_at_period_end, e.granted_at IS NULL)
        IS DISTINCT FROM
        (excluded.stripe_customer_id, excluded.subject_type, excluded.subject_id, excluded.state,
         excluded.subscription_status, excluded.plan, excluded.features, excluded.quantity,
         excluded.stripe_price_id, excluded.stripe_product_id, excluded.trial_end,
         excluded.current_period_start, excluded.current_period_end, excluded.cancel_at_period_end,
         excluded.granted_at IS NULL);
END
$$;
--> statement-breakpoint

create or replace function {{schema}}.entitlements_on_subscription() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
BEGIN
  PERFORM {{schema}}.refresh_entitlement(NEW.environment, NEW.stripe_subscription_id);
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- A price or product projected (or edited) after its subscriptions: refresh the ones using it.
create or replace function {{schema}}.entitlements_on_catalog() returns trigger
language plpgsql
-- runs as the recipe's owner whoever wrote the Paywire row (the runtime API writes some as `authenticated`)
security definer set search_path = pg_catalog, pg_temp
as $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.metadata IS NOT DISTINCT FROM NEW.metadata THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'prices' THEN
    FOR r IN
      SELECT stripe_subscription_id FROM paywire.subscription_items
       WHERE environment = NEW.environment AND stripe_price_id = NEW.stripe_price_id
      UNION
      SELECT stripe_subscription_id FROM paywire.subscriptions
       WHERE environment = NEW.environment AND stripe_price_id = NEW.stripe_price_id
    LOOP
      PERFORM {{schema}}.refresh_entitlement(NEW.environment, r.stripe_subscription_id);
    END LOOP;
  ELSE
    FOR r IN
      SELECT i.stripe_subscription_id FROM paywire.subscription_items i
       WHERE i.environment = NEW.environment AND i.stripe_product_id = NEW.stripe_product_id
      UNION
      SELECT s.stripe_subscription_id FROM paywire.subscriptions s
        JOIN paywire.prices p ON p.environment = s.environment AND p.stripe_price_id = s.stripe_price_id
       WHERE s.environment = NEW.environment AND p.stripe_product_id = NEW.stripe_product_id
    LOOP
      PERFORM {{schema}}.refresh_entitlement(NEW.environment, r.stripe_subscription_id);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- INSERT and UPDATE triggers apart, so that an UPDATE fires only when a column the refresh reads
-- changed: a redelivery or replay that only bumps the recency columns (source_ts, source_rank,
-- source_event_id, raw, updated_at) runs no PL/pgSQL. The lists hold every column but those
-- (and of subscription_items' raw the `created` the refresh orders items by).
drop trigger if exists {{schema}}_entitlements_subscriptions on paywire.subscriptions;
--> statement-breakpoint
create trigger {{schema}}_entitlements_subscriptions after insert on paywire.subscriptions
  for each row execute function {{schema}}.entitlements_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_subscriptions_changed on paywire.subscriptions;
--> statement-breakpoint
create trigger {{schema}}_entitlements_subscriptions_changed after update on paywire.subscriptions
  for each row when (
    (old.environment, old.stripe_subscription_id, old.stripe_customer_id, old.subject_type, old.subject_id,
     old.status, old.cancel_at_period_end, old.cancel_at, old.canceled_at, old.ended_at, old.trial_start,
     old.trial_end, old.current_period_start, old.current_period_end, old.collection_method,
     old.latest_invoice_id, old.stripe_price_id, old.metadata, old.stripe_created, old.deleted_at)
    is distinct from
    (new.environment, new.stripe_subscription_id, new.stripe_customer_id, new.subject_type, new.subject_id,
     new.status, new.cancel_at_period_end, new.cancel_at, new.canceled_at, new.ended_at, new.trial_start,
     new.trial_end, new.current_period_start, new.current_period_end, new.collection_method,
     new.latest_invoice_id, new.stripe_price_id, new.metadata, new.stripe_created, new.deleted_at))
  execute function {{schema}}.entitlements_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_items on paywire.subscription_items;
--> statement-breakpoint
create trigger {{schema}}_entitlements_items after insert on paywire.subscription_items
  for each row execute function {{schema}}.entitlements_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_items_changed on paywire.subscription_items;
--> statement-breakpoint
create trigger {{schema}}_entitlements_items_changed after update on paywire.subscription_items
  for each row when (
    (old.environment, old.stripe_subscription_item_id, old.stripe_subscription_id, old.stripe_price_id,
     old.stripe_product_id, old.quantity, old.current_period_start, old.current_period_end, old.metadata,
     old.deleted_at, old.raw ->> 'created')
    is distinct from
    (new.environment, new.stripe_subscription_item_id, new.stripe_subscription_id, new.stripe_price_id,
     new.stripe_product_id, new.quantity, new.current_period_start, new.current_period_end, new.metadata,
     new.deleted_at, new.raw ->> 'created'))
  execute function {{schema}}.entitlements_on_subscription();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_prices on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_entitlements_prices after insert on paywire.prices
  for each row execute function {{schema}}.entitlements_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_prices_changed on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_entitlements_prices_changed after update on paywire.prices
  for each row when (old.metadata is distinct from new.metadata)
  execute function {{schema}}.entitlements_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_products on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_entitlements_products after insert on paywire.products
  for each row execute function {{schema}}.entitlements_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_entitlements_products_changed on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_entitlements_products_changed after update on paywire.products
  for each row when (old.metadata is distinct from new.metadata)
  execute function {{schema}}.entitlements_on_catalog();
--> statement-breakpoint

-- Subscriptions projected before the recipe was installed.
select {{schema}}.refresh_entitlement(environment, stripe_subscription_id) from paywire.subscriptions;
--> statement-breakpoint

-- What the app checks: the entitlements granted now (a past_due one while its grace lasts).
create or replace view {{schema}}.active_entitlements as
select e.id, e.environment, e.subject_type, e.subject_id, e.plan, e.features, e.quantity, e.state,
       e.subscription_status, e.stripe_subscription_id, e.stripe_customer_id, e.stripe_price_id,
       e.stripe_product_id, e.trial_end, e.current_period_end, e.cancel_at_period_end, e.past_due_since,
       e.past_due_since + coalesce(st.grace_period, interval '7 days') as grace_until,
       e.granted_at
  from {{schema}}.entitlements e
  left join {{schema}}.entitlement_settings st on st.environment = e.environment
 where e.subject_id is not null
   and {{schema}}.entitlement_granted(e.environment, e.state, e.past_due_since, now());
--> statement-breakpoint

-- Does the subject hold `plan_or_feature` at `p_at` (default now)? True when a granted
-- entitlement has that plan, that feature set to true, or that limit above 0 / unlimited.
create or replace function {{schema}}.has_entitlement(
  p_environment text, p_subject_type text, p_subject_id text, p_plan_or_feature text,
  p_at timestamptz default now()
) returns boolean
language sql stable
as $$
  select exists (
    select 1 from {{schema}}.entitlements e
     where e.environment = p_environment and e.subject_type = p_subject_type and e.subject_id = p_subject_id
       and {{schema}}.entitlement_granted(e.environment, e.state, e.past_due_since, p_at)
       and (e.plan = p_plan_or_feature
            or e.features -> p_plan_or_feature = 'true'::jsonb
            or e.features -> p_plan_or_feature = '"unlimited"'::jsonb
            or CASE WHEN jsonb_typeof(e.features -> p_plan_or_feature) = 'number'
                    THEN (e.features ->> p_plan_or_feature)::numeric > 0 ELSE false END)
  )
$$;
--> statement-breakpoint

-- The subject's limit `name` at `p_at` across its granted entitlements: the greatest,
-- 'Infinity' when one says unlimited, null when none sets it.
create or replace function {{schema}}.entitlement_limit(
  p_environment text, p_subject_type text, p_subject_id text, p_name text,
  p_at timestamptz default now()
) returns numeric
language sql stable
as $$
  select max(case when e.features -> p_name = '"unlimited"'::jsonb then 'Infinity'::numeric
                  when jsonb_typeof(e.features -> p_name) = 'number' then (e.features ->> p_name)::numeric end)
    from {{schema}}.entitlements e
   where e.environment = p_environment and e.subject_type = p_subject_type and e.subject_id = p_subject_id
     and {{schema}}.entitlement_granted(e.environment, e.state, e.past_due_since, p_at)
     and (jsonb_typeof(e.features -> p_name) = 'number' or e.features -> p_name = '"unlimited"'::jsonb)
$$;
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
       and p.proname in ('entitlements_on_subscription', 'entitlements_on_catalog')
  loop
    execute format('revoke all on function %s from public', f);
  end loop;
end
$$;
--> statement-breakpoint

-- The app's server-side role reads the entitlements and may tune the grace period.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'paywire_service') then
    grant usage on schema {{schema}} to paywire_service;
    grant select on {{schema}}.entitlements, {{schema}}.active_entitlements to paywire_service;
    grant select, update on {{schema}}.entitlement_settings to paywire_service;
  end if;
end
$$;
