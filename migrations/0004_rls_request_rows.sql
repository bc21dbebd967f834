-- Custom migration: tighter caller helpers and request-only INSERT policies for end users.
--
-- 1. The helpers never answer NULL. A policy treats NULL as "no", but a NULL leaking out of
--    caller_can_access() into `NOT caller_can_access(...)` or a CASE would read as "unknown";
--    the helpers answer true or false and nothing else.
-- 2. `authenticated` may insert a checkout or portal session only as a *request*: the columns
--    a caller may choose (subject, mode, request body, idempotency key, metadata, return URL)
--    and nothing Stripe-side. Status must be `initialized`; Stripe ids, URLs, amounts,
--    results, recency fields, tombstones and timestamps must be what the database defaults them
--    to; created_by must be the caller. Only the Worker (as owner or paywire_service) fills in
--    what Stripe answered. This is enforced in WITH CHECK rather than with column-level grants:
--    drizzle's insert lists every column (`default` for the unset ones) and Postgres checks a
--    column grant for every listed column, so column grants would refuse drizzle's own inserts.
-- `authenticated` keeps no UPDATE or DELETE privilege on any table (none is granted anywhere),
-- so a request row, once written, changes only through the Worker.

-- The caller's verified claims: always a JSON object ('{}' when unset, empty or not an object).
CREATE OR REPLACE FUNCTION paywire.jwt_claims() RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT CASE WHEN jsonb_typeof(c) = 'object' THEN c ELSE '{}'::jsonb END
    FROM (SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb AS c) AS claims
$$;
--> statement-breakpoint
-- The caller's `sub` when it is a non-empty JSON string; NULL otherwise (a number, object or
-- null `sub` is no identity).
CREATE OR REPLACE FUNCTION paywire.caller_id() RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT CASE WHEN jsonb_typeof(paywire.jwt_claims() -> 'sub') = 'string'
              THEN nullif(paywire.jwt_claims() ->> 'sub', '') END
$$;
--> statement-breakpoint
-- Same rules as before (own user subject, subject_members, the `paywire_subjects` claim), but
-- the answer is false, never NULL: a missing claim used to make the last OR branch NULL.
CREATE OR REPLACE FUNCTION paywire.caller_can_access(p_subject_type text, p_subject_id text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(
    paywire.caller_id() IS NOT NULL
    AND p_subject_type IS NOT NULL
    AND p_subject_id IS NOT NULL
    AND (
         (p_subject_type = 'user' AND p_subject_id = paywire.caller_id())
      OR EXISTS (
           SELECT 1 FROM paywire.subject_members m
            WHERE m.subject_type = p_subject_type
              AND m.subject_id = p_subject_id
              AND m.user_id = paywire.caller_id())
      OR coalesce(
           jsonb_typeof(paywire.jwt_claims() -> 'paywire_subjects') = 'array'
           AND (paywire.jwt_claims() -> 'paywire_subjects') ? (p_subject_type || ':' || p_subject_id),
           false)
    ),
    false)
$$;
--> statement-breakpoint

-- A checkout request row: caller-chosen columns are id, environment, subject_type, subject_id,
-- created_by (= caller), idempotency_key, request_hash, mode, request, metadata. Everything else
-- must be its default.
DROP POLICY IF EXISTS subject_insert ON paywire.checkout_sessions;
--> statement-breakpoint
CREATE POLICY subject_insert ON paywire.checkout_sessions FOR INSERT TO authenticated
  WITH CHECK (
    paywire.caller_can_access(subject_type, subject_id)
    AND created_by IS NOT DISTINCT FROM paywire.caller_id()
    AND status = 'initialized'
    AND stripe_checkout_session_id IS NULL
    AND stripe_customer_id IS NULL
    AND stripe_subscription_id IS NULL
    AND stripe_payment_intent_id IS NULL
    AND url IS NULL
    AND payment_status IS NULL
    AND amount_total IS NULL
    AND currency IS NULL
    AND last_error IS NULL
    AND completed_at IS NULL
    AND expires_at IS NULL
    AND raw IS NULL
    AND source_ts = 0
    AND source_rank = 0
    AND source_event_id = ''
    AND deleted_at IS NULL
    AND created_at = now()
    AND updated_at = now()
  );
--> statement-breakpoint

-- A portal request row: caller-chosen columns are id, environment, subject_type, subject_id,
-- created_by (= caller) and return_url.
DROP POLICY IF EXISTS subject_insert ON paywire.portal_sessions;
--> statement-breakpoint
CREATE POLICY subject_insert ON paywire.portal_sessions FOR INSERT TO authenticated
  WITH CHECK (
    paywire.caller_can_access(subject_type, subject_id)
    AND created_by IS NOT DISTINCT FROM paywire.caller_id()
    AND status = 'initialized'
    AND stripe_customer_id IS NULL
    AND stripe_portal_session_id IS NULL
    AND url IS NULL
    AND last_error IS NULL
    AND created_at = now()
    AND updated_at = now()
  );
