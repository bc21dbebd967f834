-- Recipe `fulfillment_jobs`: a job queue in the database for work done outside it (emails,
-- provisioning). Each paywire.outbox message of a topic listed in fulfillment_job_topics becomes
-- one job; workers claim jobs with leases and complete or fail them. Installs into {{schema}}.
create schema if not exists {{schema}};
--> statement-breakpoint
-- The topics the app wants jobs for, per environment ('*': every topic).
create table if not exists {{schema}}.fulfillment_job_topics (
  environment text not null check (environment in ('test', 'live')),
  topic text not null,
  max_attempts integer not null default 10 check (max_attempts between 1 and 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (environment, topic)
);
--> statement-breakpoint
create table if not exists {{schema}}.fulfillment_jobs (
  id bigserial primary key,
  environment text not null check (environment in ('test', 'live')),
  outbox_id bigint not null,
  topic text not null,
  aggregate_type text,
  aggregate_id text,
  subject_type text,
  subject_id text,
  stripe_event_id text,
  payload jsonb not null default '{}'::jsonb,
  -- pending (waiting or to retry) | running (leased) | done | failed (gave up after max_attempts)
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  attempts integer not null default 0,
  max_attempts integer not null default 10,
  available_at timestamptz not null default now(),
  locked_by text,
  locked_until timestamptz,
  last_error text,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fulfillment_jobs_outbox_uq unique (outbox_id)
);
--> statement-breakpoint
create index if not exists fulfillment_jobs_ready_idx
  on {{schema}}.fulfillment_jobs (available_at, id) where status = 'pending';
--> statement-breakpoint
create index if not exists fulfillment_jobs_leased_idx
  on {{schema}}.fulfillment_jobs (locked_until, id) where status = 'running';
--> statement-breakpoint
create or replace function {{schema}}.fulfillment_jobs_on_outbox()
returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into {{schema}}.fulfillment_jobs (
    environment, outbox_id, topic, aggregate_type, aggregate_id, subject_type, subject_id,
    stripe_event_id, payload, max_attempts, available_at)
  select new.environment, new.id, new.topic, new.aggregate_type, new.aggregate_id, new.subject_type,
         new.subject_id, new.stripe_event_id, new.payload, t.max_attempts, now()
    from {{schema}}.fulfillment_job_topics t
   where t.environment = new.environment and t.topic in (new.topic, '*')
   order by (t.topic = new.topic) desc
   limit 1
  on conflict (outbox_id) do nothing;
  return null;
end
$$;
--> statement-breakpoint
drop trigger if exists {{schema}}_fulfillment_jobs_outbox on paywire.outbox;
--> statement-breakpoint
create trigger {{schema}}_fulfillment_jobs_outbox
  after insert on paywire.outbox
  for each row execute function {{schema}}.fulfillment_jobs_on_outbox();
--> statement-breakpoint
-- Leases up to n ready jobs (pending and due, or running with an expired lease) to `worker` for
-- `lease`, oldest first; concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED).
-- A leased job whose lease ran out after its last allowed attempt is marked failed instead.
create or replace function {{schema}}.claim_fulfillment_jobs(worker text, n integer, lease interval)
returns setof {{schema}}.fulfillment_jobs
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if worker is null or worker = '' or n is null or n < 1 or n > 1000 or lease is null or lease <= interval '0' then
    raise exception 'claim_fulfillment_jobs: worker, n (1..1000) and a positive lease are required'
      using errcode = '22023';
  end if;
  update {{schema}}.fulfillment_jobs j
     set status = 'failed', last_error = coalesce(j.last_error, 'lease expired'), locked_until = null,
         updated_at = now()
   where j.status = 'running' and j.locked_until <= now() and j.attempts >= j.max_attempts;
  return query
  update {{schema}}.fulfillment_jobs j
     set status = 'running', attempts = j.attempts + 1, locked_by = claim_fulfillment_jobs.worker,
         locked_until = now() + claim_fulfillment_jobs.lease, updated_at = now()
   where j.id in (
           select r.id from {{schema}}.fulfillment_jobs r
            where (r.status = 'pending' and r.available_at <= now())
               or (r.status = 'running' and r.locked_until <= now())
            order by r.available_at, r.id
            limit claim_fulfillment_jobs.n
            for update skip locked)
  returning j.*;
end
$$;
--> statement-breakpoint
-- Marks a leased job done. With `worker`, only while that worker still holds the lease.
create or replace function {{schema}}.complete_fulfillment_job(job_id bigint, worker text default null)
returns boolean
language sql
set search_path = pg_catalog, pg_temp
as $$
  with done as (
    update {{schema}}.fulfillment_jobs j
       set status = 'done', completed_at = now(), locked_until = null, last_error = null, updated_at = now()
     where j.id = complete_fulfillment_job.job_id and j.status = 'running'
       and (complete_fulfillment_job.worker is null or j.locked_by = complete_fulfillment_job.worker)
    returning 1)
  select exists (select 1 from done)
$$;
--> statement-breakpoint
-- Records a failed attempt: back to pending after `retry_in`, or failed once attempts reached
-- max_attempts. Answers the job's new status (null: not a job running under that worker).
create or replace function {{schema}}.fail_fulfillment_job(
  job_id bigint, error text, retry_in interval default interval '1 minute', worker text default null)
returns text
language sql
set search_path = pg_catalog, pg_temp
as $$
  update {{schema}}.fulfillment_jobs j
     set status = case when j.attempts >= j.max_attempts then 'failed' else 'pending' end,
         available_at = now() + greatest(coalesce(fail_fulfillment_job.retry_in, interval '0'), interval '0'),
         last_error = left(fail_fulfillment_job.error, 2000), locked_until = null, updated_at = now()
   where j.id = fail_fulfillment_job.job_id and j.status = 'running'
     and (fail_fulfillment_job.worker is null or j.locked_by = fail_fulfillment_job.worker)
  returning j.status
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
       and p.proname in ('fulfillment_jobs_on_outbox')
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
    grant select, insert, update, delete on {{schema}}.fulfillment_job_topics to paywire_service;
    grant select, update on {{schema}}.fulfillment_jobs to paywire_service;
  end if;
end
$$;
