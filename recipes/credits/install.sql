-- Recipe `credits`: credit packs. A paid one-time purchase grants credits (price metadata
-- `credits`, else product metadata `credits`, times the quantity) into a ledger; refunds take
-- them back pro rata; the app spends them with spend_credits(). Installs into {{schema}}.
create schema if not exists {{schema}};
--> statement-breakpoint
create table if not exists {{schema}}.credit_ledger (
  id bigserial primary key,
  environment text not null check (environment in ('test', 'live')),
  subject_type text,
  subject_id text,
  -- signed: grants are positive, reversals and spends negative
  credits bigint not null,
  -- purchase | refund | refund_remainder | the app's spend reasons
  reason text not null,
  -- purchase, refund_remainder: the checkout session; refund: the refund; spend: subject + idempotency key
  source_id text not null,
  stripe_checkout_session_id text,
  stripe_payment_intent_id text,
  stripe_refund_id text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint credit_ledger_source_uq unique (environment, reason, source_id)
);
--> statement-breakpoint
create index if not exists credit_ledger_env_subject_idx
  on {{schema}}.credit_ledger (environment, subject_type, subject_id);
--> statement-breakpoint
create index if not exists credit_ledger_env_payment_intent_idx
  on {{schema}}.credit_ledger (environment, stripe_payment_intent_id);
--> statement-breakpoint
create index if not exists credit_ledger_env_session_idx
  on {{schema}}.credit_ledger (environment, stripe_checkout_session_id);
--> statement-breakpoint
create or replace view {{schema}}.credit_balances as
  select environment, subject_type, subject_id, sum(credits)::bigint as balance
    from {{schema}}.credit_ledger
   where subject_id is not null
   group by environment, subject_type, subject_id;
--> statement-breakpoint
-- The session's line items (Paywire's checkout request: price id or lookup key, quantity) with
-- the credits each is worth: price metadata `credits`, else product metadata `credits` (a whole
-- number up to 9 digits; anything else counts as 0), times the quantity.
create or replace function {{schema}}.credits_line_items(p_environment text, p_session text)
returns jsonb
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'price', coalesce(pr.stripe_price_id, li.item ->> 'price'),
           'lookup_key', coalesce(pr.lookup_key, li.item ->> 'lookupKey'),
           'product', pr.stripe_product_id,
           'quantity', li.quantity,
           'credits_each', coalesce(
             case when pr.metadata ->> 'credits' ~ '^[0-9]{1,9}$' then (pr.metadata ->> 'credits')::bigint end,
             case when prod.metadata ->> 'credits' ~ '^[0-9]{1,9}$' then (prod.metadata ->> 'credits')::bigint end,
             0),
           'credits', li.quantity * coalesce(
             case when pr.metadata ->> 'credits' ~ '^[0-9]{1,9}$' then (pr.metadata ->> 'credits')::bigint end,
             case when prod.metadata ->> 'credits' ~ '^[0-9]{1,9}$' then (prod.metadata ->> 'credits')::bigint end,
             0)) order by li.n), '[]'::jsonb)
    from paywire.checkout_sessions cs
   cross join lateral jsonb_array_elements(
           case when jsonb_typeof(cs.request -> 'lineItems') = 'array' then cs.request -> 'lineItems'
                else '[]'::jsonb end) with ordinality as raw(item, n)
   cross join lateral (
           select raw.item, raw.n,
                  case when (raw.item ->> 'quantity') ~ '^[0-9]{1,6}$' then (raw.item ->> 'quantity')::bigint
                       else 1 end as quantity) li
    left join lateral (
           select p.stripe_price_id, p.lookup_key, p.stripe_product_id, p.metadata
             from paywire.prices p
            where p.environment = cs.environment
              and case when li.item ? 'price' then p.stripe_price_id = li.item ->> 'price'
                       else p.lookup_key = li.item ->> 'lookupKey' end
            order by p.active desc, p.updated_at desc
            limit 1) pr on true
    left join paywire.products prod
      on prod.environment = cs.environment and prod.stripe_product_id = pr.stripe_product_id
   where cs.environment = p_environment and cs.stripe_checkout_session_id = p_session
$$;
--> statement-breakpoint
-- Recomputes one purchase's ledger rows from the current projection rows: the grant (written
-- once, its credits never change afterwards), one reversal per refund and, once the refunds
-- cover the whole amount, the remainder that rounding left.
create or replace function {{schema}}.credits_refresh(p_environment text, p_session text)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  pay paywire.payment_history%rowtype;
  st text;
  sid text;
  items jsonb;
  total bigint;
  granted bigint;
  refund record;
  counted boolean;
  reversal bigint;
  reversed bigint := 0;
  refunded bigint := 0;
  remainder bigint;
begin
  select * into pay from paywire.payment_history
   where environment = p_environment and stripe_object_id = p_session and kind = 'checkout_session';
  if not found or pay.status not in ('paid', 'no_payment_required') then
    return;
  end if;
  select cs.subject_type, cs.subject_id into st, sid
    from paywire.checkout_sessions cs
   where cs.environment = p_environment and cs.stripe_checkout_session_id = p_session;
  st := coalesce(pay.subject_type, st);
  sid := coalesce(pay.subject_id, sid);

  select l.credits into granted from {{schema}}.credit_ledger l
   where l.environment = p_environment and l.reason = 'purchase' and l.source_id = p_session;
  if not found then
    items := {{schema}}.credits_line_items(p_environment, p_session);
    select coalesce(sum((i ->> 'credits')::bigint), 0) into total from jsonb_array_elements(items) i;
    if total <= 0 then
      return; -- nothing to grant (no credits metadata, or no line items known)
    end if;
    insert into {{schema}}.credit_ledger (
      environment, subject_type, subject_id, credits, reason, source_id,
      stripe_checkout_session_id, stripe_payment_intent_id, details)
    values (p_environment, st, sid, total, 'purchase', p_session, p_session, pay.stripe_payment_intent_id,
            jsonb_build_object('line_items', items, 'amount', pay.amount, 'currency', pay.currency))
    on conflict (environment, reason, source_id) do nothing;
    select l.credits into granted from {{schema}}.credit_ledger l
     where l.environment = p_environment and l.reason = 'purchase' and l.source_id = p_session;
  end if;

  -- The subject may arrive after the purchase (a customer mapped later): every row of it follows.
  if sid is not null then
    update {{schema}}.credit_ledger l set subject_type = st, subject_id = sid, updated_at = now()
     where l.environment = p_environment and l.stripe_checkout_session_id = p_session and l.subject_id is null;
  end if;
  if pay.stripe_payment_intent_id is null or pay.amount <= 0 then
    return;
  end if;

  for refund in
    select r.stripe_object_id, r.amount, r.status from paywire.payment_history r
     where r.environment = p_environment and r.kind = 'refund'
       and (r.stripe_customer_id = pay.stripe_customer_id or r.stripe_customer_id is null)
       and r.stripe_payment_intent_id = pay.stripe_payment_intent_id
  loop
    counted := refund.status in ('succeeded', 'pending');
    -- pro rata, rounded down: the buyer keeps a fraction until the remainder row settles it
    reversal := case when counted
                     then -floor(least(refund.amount, pay.amount)::numeric * granted / pay.amount)::bigint
                     else 0 end;
    insert into {{schema}}.credit_ledger as l (
      environment, subject_type, subject_id, credits, reason, source_id,
      stripe_checkout_session_id, stripe_payment_intent_id, stripe_refund_id, details)
    values (p_environment, st, sid, reversal, 'refund', refund.stripe_object_id, p_session,
            pay.stripe_payment_intent_id, refund.stripe_object_id,
            jsonb_build_object('refund_amount', refund.amount, 'refund_status', refund.status,
                               'amount', pay.amount, 'granted', granted))
    on conflict (environment, reason, source_id) do update set
      credits = excluded.credits,
      details = excluded.details,
      subject_type = coalesce(l.subject_type, excluded.subject_type),
      subject_id = coalesce(l.subject_id, excluded.subject_id),
      updated_at = now()
    where l.credits <> excluded.credits or l.details <> excluded.details
       or (l.subject_id is null and excluded.subject_id is not null);
    if counted then
      refunded := refunded + refund.amount;
      reversed := reversed + reversal;
    end if;
  end loop;

  remainder := case when refunded >= pay.amount then -(granted + reversed) else 0 end;
  if remainder <> 0 or exists (
       select 1 from {{schema}}.credit_ledger l
        where l.environment = p_environment and l.reason = 'refund_remainder' and l.source_id = p_session) then
    insert into {{schema}}.credit_ledger as l (
      environment, subject_type, subject_id, credits, reason, source_id,
      stripe_checkout_session_id, stripe_payment_intent_id, details)
    values (p_environment, st, sid, remainder, 'refund_remainder', p_session, p_session,
            pay.stripe_payment_intent_id, jsonb_build_object('granted', granted, 'reversed', reversed))
    on conflict (environment, reason, source_id) do update set
      credits = excluded.credits,
      details = excluded.details,
      subject_type = coalesce(l.subject_type, excluded.subject_type),
      subject_id = coalesce(l.subject_id, excluded.subject_id),
      updated_at = now()
    where l.credits <> excluded.credits or (l.subject_id is null and excluded.subject_id is not null);
  end if;
end
$$;
--> statement-breakpoint
create or replace function {{schema}}.credits_on_payment_history()
returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  session_id text;
begin
  if new.kind = 'checkout_session' then
    perform {{schema}}.credits_refresh(new.environment, new.stripe_object_id);
  elsif new.stripe_payment_intent_id is not null then
    for session_id in
      select l.source_id from {{schema}}.credit_ledger l
       where l.environment = new.environment and l.stripe_payment_intent_id = new.stripe_payment_intent_id
         and l.reason = 'purchase'
    loop
      perform {{schema}}.credits_refresh(new.environment, session_id);
    end loop;
  end if;
  return null;
end
$$;
--> statement-breakpoint
-- INSERT and UPDATE apart: an UPDATE fires only when a column of the row changed, not for one
-- that only bumps the recency columns (source_ts, source_rank, source_event_id, raw, updated_at).
drop trigger if exists {{schema}}_credits_payment on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_credits_payment
  after insert on paywire.payment_history
  for each row when (new.kind in ('checkout_session', 'refund'))
  execute function {{schema}}.credits_on_payment_history();
--> statement-breakpoint
drop trigger if exists {{schema}}_credits_payment_changed on paywire.payment_history;
--> statement-breakpoint
create trigger {{schema}}_credits_payment_changed
  after update on paywire.payment_history
  for each row when (new.kind in ('checkout_session', 'refund') and
    (old.environment, old.kind, old.stripe_object_id, old.stripe_customer_id, old.subject_type,
     old.subject_id, old.stripe_invoice_id, old.stripe_payment_intent_id, old.stripe_charge_id,
     old.stripe_subscription_id, old.stripe_checkout_session_id, old.amount, old.amount_refunded,
     old.currency, old.status, old.description, old.occurred_at, old.metadata, old.deleted_at)
    is distinct from
    (new.environment, new.kind, new.stripe_object_id, new.stripe_customer_id, new.subject_type,
     new.subject_id, new.stripe_invoice_id, new.stripe_payment_intent_id, new.stripe_charge_id,
     new.stripe_subscription_id, new.stripe_checkout_session_id, new.amount, new.amount_refunded,
     new.currency, new.status, new.description, new.occurred_at, new.metadata, new.deleted_at))
  execute function {{schema}}.credits_on_payment_history();
--> statement-breakpoint
-- A price or product projected (or its metadata edited) after the purchase: the purchases that
-- name the price (by id or lookup key), or a price of the product, and have no grant yet are
-- refreshed, so a late catalog grants then (once: the grant is an insert on the ledger's key).
create or replace function {{schema}}.credits_on_catalog()
returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_price text;
  v_product text;
begin
  -- NEW of a product has no stripe_price_id: read it only on prices
  if TG_TABLE_NAME = 'prices' then
    v_price := new.stripe_price_id;
  else
    v_product := new.stripe_product_id;
  end if;
  perform {{schema}}.credits_refresh(new.environment, w.session)
     from (select distinct pay.stripe_object_id as session
             from paywire.prices p
             join paywire.checkout_sessions cs
               on cs.environment = p.environment
              and (cs.request -> 'lineItems' @> jsonb_build_array(jsonb_build_object('price', p.stripe_price_id))
                   or (p.lookup_key is not null
                       and cs.request -> 'lineItems' @> jsonb_build_array(jsonb_build_object('lookupKey', p.lookup_key))))
             join paywire.payment_history pay
               on pay.environment = cs.environment and pay.kind = 'checkout_session'
              and pay.stripe_object_id = cs.stripe_checkout_session_id
              and pay.status in ('paid', 'no_payment_required')
            where p.environment = new.environment
              and (p.stripe_price_id = v_price or p.stripe_product_id = v_product)
              and not exists (
                    select 1 from {{schema}}.credit_ledger l
                     where l.environment = pay.environment and l.reason = 'purchase'
                       and l.source_id = pay.stripe_object_id)) w;
  return null;
end
$$;
--> statement-breakpoint
drop trigger if exists {{schema}}_credits_prices_new on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_credits_prices_new
  after insert on paywire.prices
  for each row execute function {{schema}}.credits_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_credits_prices_changed on paywire.prices;
--> statement-breakpoint
create trigger {{schema}}_credits_prices_changed
  after update on paywire.prices
  for each row when (old.metadata is distinct from new.metadata or old.active is distinct from new.active
                     or old.lookup_key is distinct from new.lookup_key)
  execute function {{schema}}.credits_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_credits_products_new on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_credits_products_new
  after insert on paywire.products
  for each row execute function {{schema}}.credits_on_catalog();
--> statement-breakpoint
drop trigger if exists {{schema}}_credits_products_changed on paywire.products;
--> statement-breakpoint
create trigger {{schema}}_credits_products_changed
  after update on paywire.products
  for each row when (old.metadata is distinct from new.metadata)
  execute function {{schema}}.credits_on_catalog();
--> statement-breakpoint
-- Spends credits of a subject: refuses (SQLSTATE P0001, message 'insufficient credits') to take
-- the balance below zero. The same idempotency key (per subject and reason) answers the row it
-- wrote the first time instead of spending twice.
create or replace function {{schema}}.spend_credits(
  p_environment text, p_subject_type text, p_subject_id text, p_amount bigint, p_reason text,
  p_idempotency_key text)
returns {{schema}}.credit_ledger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  source text;
  existing {{schema}}.credit_ledger%rowtype;
  balance bigint;
begin
  if p_environment is null or p_environment not in ('test', 'live') then
    raise exception 'spend_credits: environment must be test or live' using errcode = '22023';
  end if;
  if p_subject_type is null or p_subject_id is null then
    raise exception 'spend_credits: subject is required' using errcode = '22023';
  end if;
  if p_amount is null or p_amount <= 0 then
    raise exception 'spend_credits: amount must be a positive number of credits' using errcode = '22023';
  end if;
  if p_reason is null or p_reason = '' or p_reason in ('purchase', 'refund', 'refund_remainder') then
    raise exception 'spend_credits: reason must be set and not purchase, refund or refund_remainder'
      using errcode = '22023';
  end if;
  if p_idempotency_key is null or p_idempotency_key = '' then
    raise exception 'spend_credits: idempotency key is required' using errcode = '22023';
  end if;
  source := p_subject_type || ':' || p_subject_id || ':' || p_idempotency_key;
  -- one spender per subject at a time, so two spends cannot both see the same balance
  perform pg_advisory_xact_lock(
    hashtextextended('credits:' || p_environment || ':' || p_subject_type || ':' || p_subject_id, 0));
  select * into existing from {{schema}}.credit_ledger l
   where l.environment = p_environment and l.reason = p_reason and l.source_id = source;
  if found then
    if existing.credits <> -p_amount then
      raise exception 'spend_credits: idempotency key already used for another amount' using errcode = '22023';
    end if;
    return existing;
  end if;
  select coalesce(sum(l.credits), 0) into balance from {{schema}}.credit_ledger l
   where l.environment = p_environment and l.subject_type = p_subject_type and l.subject_id = p_subject_id;
  if balance < p_amount then
    raise exception 'insufficient credits' using errcode = 'P0001',
      detail = format('balance %s, asked %s', balance, p_amount);
  end if;
  insert into {{schema}}.credit_ledger (environment, subject_type, subject_id, credits, reason, source_id)
  values (p_environment, p_subject_type, p_subject_id, -p_amount, p_reason, source)
  returning * into existing;
  return existing;
end
$$;
--> statement-breakpoint
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'paywire_service') then
    grant usage on schema {{schema}} to paywire_service;
    grant select, insert on {{schema}}.credit_ledger to paywire_service;
    grant usage on sequence {{schema}}.credit_ledger_id_seq to paywire_service;
    grant select on {{schema}}.credit_balances to paywire_service;
  end if;
end
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
       and p.proname in ('credits_line_items', 'credits_refresh', 'credits_on_payment_history', 'credits_on_catalog')
  loop
    execute format('revoke all on function %s from public', f);
  end loop;
end
$$;
--> statement-breakpoint
-- Purchases made before the install are granted too (idempotent like everything above).
do $$
begin
  perform {{schema}}.credits_refresh(p.environment, p.stripe_object_id)
     from paywire.payment_history p
    where p.kind = 'checkout_session' and p.status in ('paid', 'no_payment_required');
end
$$;
