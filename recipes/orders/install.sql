-- Recipe `orders`: one row per one-time purchase (a paid Checkout Session in payment mode),
-- kept in step with its refunds. Installs into the schema {{schema}}; safe to run again.
create schema if not exists {{schema}};
--> statement-breakpoint
create table if not exists {{schema}}.orders (
  id bigserial primary key,
  environment text not null check (environment in ('test', 'live')),
  subject_type text,
  subject_id text,
  stripe_customer_id text,
  stripe_checkout_session_id text not null,
  stripe_payment_intent_id text,
  amount bigint not null,
  currency text not null,
  -- [{price, lookup_key, product, quantity, unit_amount, currency}] from Paywire's checkout request
  line_items jsonb not null default '[]'::jsonb,
  status text not null default 'paid' check (status in ('paid', 'partially_refunded', 'refunded')),
  amount_refunded bigint not null default 0,
  paid_at timestamptz not null,
  refunded_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint orders_env_session_uq unique (environment, stripe_checkout_session_id)
);
--> statement-breakpoint
create index if not exists orders_env_payment_intent_idx
  on {{schema}}.orders (environment, stripe_payment_intent_id);
--> statement-breakpoint
create index if not exists orders_env_subject_idx
  on {{schema}}.orders (environment, subject_type, subject_id, paid_at);
--> statement-breakpoint
-- The session's line items as Paywire's runtime API received them (price id or lookup key and
-- quantity), resolved against paywire.prices. Sessions created outside Paywire have none: '[]'.
create or replace function {{schema}}.orders_line_items(p_environment text, p_session text)
returns jsonb
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'price', coalesce(pr.stripe_price_id, li.item ->> 'price'),
           'lookup_key', coalesce(pr.lookup_key, li.item ->> 'lookupKey'),
           'product', pr.stripe_product_id,
           'quantity', li.quantity,
           'unit_amount', pr.unit_amount,
           'currency', pr.currency) order by li.n), '[]'::jsonb)
    from paywire.checkout_sessions cs
   cross join lateral jsonb_array_elements(
           case when jsonb_typeof(cs.request -> 'lineItems') = 'array' then cs.request -> 'lineItems'
                else '[]'::jsonb end) with ordinality as raw(item, n)
   cross join lateral (
           select raw.item, raw.n,
                  case when (raw.item ->> 'quantity') ~ '^[0-9]{1,6}$' then (raw.item ->> 'quantity')::int
                       else 1 end as quantity) li
    left join lateral (
           select p.stripe_price_id, p.lookup_key, p.stripe_product_id, p.unit_amount, p.currency
             from paywire.prices p
            where p.environment = cs.environment
              and case when li.item ? 'price' then p.stripe_price_id = li.item ->> 'price'
                       else p.lookup_key = li.item ->> 'lookupKey' end
            order by p.active desc, p.updated_at desc
            limit 1) pr on true
   where cs.environment = p_environment and cs.stripe_checkout_session_id = p_session
$$;
--> statement-breakpoint
-- Line items with an item whose price Paywire had not projected when they were resolved.
create or replace function {{schema}}.orders_line_items_incomplete(p_items jsonb)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select 1 from jsonb_array_elements(case when jsonb_typeof(p_items) = 'array' then p_items
                                            else '[]'::jsonb end) i
     where jsonb_typeof(i -> 'product') is distinct from 'string')
$$;
--> statement-breakpoint
-- Recomputes one order from the current projection rows (never from the change that fired):
-- the paid checkout payment row, its refunds and its payment intent's amount_refunded.
create or replace function {{schema}}.orders_refresh(p_environment text, p_session text)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  pay paywire.payment_history%rowtype;
  req_subject_type text;
  req_subject_id text;
  by_refunds bigint := 0;
  by_payment bigint := 0;
  refunded bigint;
  new_status text;
begin
  select * into pay from paywire.payment_history
   where environment = p_environment and stripe_object_id = p_session and kind = 'checkout_session';
  if not found or pay.status not in ('paid', 'no_payment_required') then
    return;
  end if;
  select cs.subject_type, cs.subject_id into req_subject_type, req_subject_id
    from paywire.checkout_sessions cs
   where cs.environment = p_environment and cs.stripe_checkout_session_id = p_session;
  if pay.stripe_payment_intent_id is not null then
    select coalesce(max(p.amount_refunded), 0) into by_payment from paywire.payment_history p
     where p.environment = p_environment and p.stripe_object_id = pay.stripe_payment_intent_id;
    -- Found through the customer index: a refund has its payment's customer, or none yet.
    select coalesce(sum(r.amount), 0) into by_refunds from paywire.payment_history r
     where r.environment = p_environment and r.kind = 'refund'
       and (r.stripe_customer_id = pay.stripe_customer_id or r.stripe_customer_id is null)
       and r.stripe_payment_intent_id = pay.stripe_payment_intent_id
       and r.status in ('succeeded', 'pending');
  end if;
  refunded := least(pay.amount, greatest(by_refunds, by_payment));
  new_status := case when refunded <= 0 then 'paid'
                     when refunded >= pay.amount then 'refunded'
                     else 'partially_refunded' end;
  insert into {{schema}}.orders as o (
    environment, subject_type, subject_id, stripe_customer_id, stripe_checkout_session_id,
    stripe_payment_intent_id, amount, currency, line_items, status, amount_refunded, paid_at, refunded_at)
  values (
    p_environment, coalesce(pay.subject_type, req_subject_type), coalesce(pay.subject_id, req_subject_id),
    pay.stripe_customer_id, p_session, pay.stripe_payment_intent_id, pay.amount, pay.currency,
    {{schema}}.orders_line_items(p_environment, p_session), new_status, refunded, pay.occurred_at,
    case when refunded > 0 then now() end)
  on conflict (environment, stripe_checkout_session_id) do update set
    subject_type = coalesce(o.subject_type, excluded.subject_type),
    subject_id = coalesce(o.subject_id, excluded.subject_id),
    stripe_customer_id = coalesce(excluded.stripe_customer_id, o.stripe_customer_id),
    stripe_payment_intent_id = coalesce(excluded.stripe_payment_intent_id, o.stripe_payment_intent_id),
    amount = excluded.amount,
    currency = excluded.currency,
    -- written once complete: items whose price was not projected yet are filled in when it is
    line_items = case when {{schema}}.orders_line_items_incomplete(o.line_items) then excluded.line_items
                      else o.line_items end,
    status = excluded.status,
    amount_refunded = excluded.amount_refunded,
    refunded_at = case when excluded.amount_refunded > o.amount_refunded then now() else o.refunded_at end,
    updated_at = now()
  where (o.subject_type, o.subject_id, o.stripe_customer_id, o.stripe_payment_intent_id,
         o.amount, o.currency, o.status, o.amount_refunded)
        is distinct from
        (coalesce(o.subject_type, excluded.subject_type), coalesce(o.subject_id, excluded.subject_id),
         coalesce(excluded.stripe_customer_id, o.stripe_customer_id),
         coalesce(excluded.stripe_payment_intent_id, o.stripe_payment_intent_id),
         excluded.amount, excluded.currency, excluded.status, excluded.amount_refunded)
     or ({{schema}}.orders_line_items_incomplete(o.line_items) and o.line_items is distinct from excluded.line_items);
end
$$;
--> statement-breakpoint
create or replace function {{schema}}.orders_on_payment_history()
returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  session_id text;
begin
  if new.kind = 'checkout_session' then
    perform {{schema}}.orders_refresh(new.environment, new.stripe_object_id);
  elsif new.stripe_payment_intent_id is not null then
    -- a refund or the payment intent (charge.refunded): the orders of that payment, if any
    for session_id in
      select o.stripe_checkout_session_id from {{schema}}.orders o
       where o.environment = new.environment and o.stripe_payment_intent_id = new.stripe_payment_intent_id
    loop
      perform {{schema}}.orders_refresh(new.environment, session_id);
    end loop;
  end if;
  return null;
end
$$;
--> statement-breakpoint
-- INSERT and UPDATE apart: an UPDATE fires only when a column of the row changed, not for one
-- that only bumps the recency columns (source_ts, source_rank, source_event_id, raw, updated_at).
drop trigger if exists {{schema}}_orders_payment on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_orders_payment
  after insert on paywire.payment_history
  for each row when (new.kind in ('checkout_session', 'payment_intent', 'refund'))
  execute function {{schema}}.orders_on_payment_history();
--> statement-breakpoint
drop trigger if exists {{schema}}_orders_payment_changed on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_orders_payment_changed
  after update on paywire.payment_history
  for each row when (new.kind in ('checkout_session', 'payment_intent', 'refund') and
    (old.environment, old.kind, old.stripe_object_id, old.stripe_customer_id, old.subject_type,
     old.subject_id, old.stripe_invoice_id, old.stripe_payment_intent_id, old.stripe_charge_id,
     old.stripe_subscription_id, old.stripe_checkout_session_id, old.amount, old.amount_refunded,
     old.currency, old.status, old.description, old.occurred_at, old.metadata, old.deleted_at)
    is distinct from
    (new.environment, new.kind, new.stripe_object_id, new.stripe_customer_id, new.subject_type,
     new.subject_id, new.stripe_invoice_id, new.stripe_payment_intent_id, new.stripe_charge_id,
     new.stripe_subscription_id, new.stripe_checkout_session_id, new.amount, new.amount_refunded,
     new.currency, new.status, new.description, new.occurred_at, new.metadata, new.deleted_at))
  execute function {{schema}}.orders_on_payment_history();
--> statement-breakpoint
-- A price projected after the purchase (or a lookup key moved to it): the orders with an item
-- still unresolved that names it take their line items then.
create or replace function {{schema}}.orders_on_price()
returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform {{schema}}.orders_refresh(o.environment, o.stripe_checkout_session_id)
     from {{schema}}.orders o
    where o.environment = new.environment
      and exists (
            select 1 from jsonb_array_elements(o.line_items) i
             where jsonb_typeof(i -> 'product') is distinct from 'string'
               and (i ->> 'price' = new.stripe_price_id or i ->> 'lookup_key' = new.lookup_key));
  return null;
end
$$;
--> statement-breakpoint
drop trigger if exists {{schema}}_orders_prices_new on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_orders_prices_new
  after insert on paywire.prices
  for each row execute function {{schema}}.orders_on_price();
--> statement-breakpoint
drop trigger if exists {{schema}}_orders_prices_changed on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_orders_prices_changed
  after update on paywire.prices
  for each row when (old.lookup_key is distinct from new.lookup_key or old.active is distinct from new.active)
  execute function {{schema}}.orders_on_price();
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
       and p.proname in ('orders_line_items', 'orders_refresh', 'orders_on_payment_history', 'orders_on_price')
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
    grant select on {{schema}}.orders to paywire_service;
  end if;
end
$$;
--> statement-breakpoint
-- Purchases made before the install become orders too (idempotent like everything above).
do $$
begin
  perform {{schema}}.orders_refresh(p.environment, p.stripe_object_id)
     from paywire.payment_history p
    where p.kind = 'checkout_session' and p.status in ('paid', 'no_payment_required');
end
$$;
