-- Custom migration: roles, grants, the caller helpers, row level security and the triggers
-- that keep denormalized billing subjects and updated_at correct.
--
-- Roles (cluster-wide, created only when missing so every database on a server can migrate):
--   anon             unauthenticated callers: RLS gives them no rows
--   authenticated    end users; request.jwt.claims carries their verified JWT claims
--   paywire_service  the app's server-side role: reads/writes everything, but has no BYPASSRLS;
--                    it passes RLS through explicit "service" policies
-- The Worker connects as the database owner and switches to `authenticated` (SET LOCAL ROLE)
-- for the writes that must run as the caller.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paywire_service') THEN
    CREATE ROLE paywire_service NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
-- Let the connecting (owner) role SET ROLE to the three roles.
GRANT anon, authenticated, paywire_service TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA paywire TO anon, authenticated, paywire_service;
--> statement-breakpoint

-- The verified JWT claims of the caller, as set by the Worker with
-- set_config('request.jwt.claims', <json>, true) inside the caller's transaction.
CREATE OR REPLACE FUNCTION paywire.jwt_claims() RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.caller_id() RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT nullif(paywire.jwt_claims() ->> 'sub', '')
$$;
--> statement-breakpoint
-- May the caller act for billing subject (type, id)? Yes when it is the caller's own user
-- subject, when subject_members lists the caller, or when the JWT's `paywire_subjects`
-- claim (an array of "type:id" strings, issued by the app's auth) names it.
CREATE OR REPLACE FUNCTION paywire.caller_can_access(p_subject_type text, p_subject_id text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT paywire.caller_id() IS NOT NULL
     AND p_subject_type IS NOT NULL
     AND p_subject_id IS NOT NULL
     AND (
          (p_subject_type = 'user' AND p_subject_id = paywire.caller_id())
       OR EXISTS (
            SELECT 1 FROM paywire.subject_members m
             WHERE m.subject_type = p_subject_type
               AND m.subject_id = p_subject_id
               AND m.user_id = paywire.caller_id())
       OR (jsonb_typeof(paywire.jwt_claims() -> 'paywire_subjects') = 'array'
           AND (paywire.jwt_claims() -> 'paywire_subjects') ? (p_subject_type || ':' || p_subject_id))
     )
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION paywire.caller_can_access(text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION paywire.caller_can_access(text, text) TO anon, authenticated, paywire_service;
--> statement-breakpoint

-- Row level security on every table. The owner (the Worker's connection) is not subject to it;
-- everybody else only sees what a policy grants.
ALTER TABLE paywire.connections ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.webhook_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.sync_runs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.audit_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.products ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.prices ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.customers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.customer_mappings ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.subject_members ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.checkout_sessions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.portal_sessions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.subscriptions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.subscription_items ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.payment_history ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.outbox ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint

-- paywire_service: everything, through explicit policies (it has no BYPASSRLS).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA paywire TO paywire_service;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA paywire TO paywire_service;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'paywire' AND tablename <> '__migrations' LOOP
    EXECUTE format('CREATE POLICY service_all ON paywire.%I FOR ALL TO paywire_service USING (true) WITH CHECK (true)', t);
  END LOOP;
END
$$;
--> statement-breakpoint

-- End users: the subject-scoped tables, filtered by caller_can_access. anon gets the same
-- SELECT grant but no policy, so it reads zero rows. Operator tables (connections,
-- webhook_events, sync_runs, audit_log, outbox) and the catalog get no end-user grants at all.
GRANT SELECT ON paywire.customer_mappings, paywire.customers, paywire.checkout_sessions,
  paywire.portal_sessions, paywire.subscriptions, paywire.subscription_items,
  paywire.payment_history, paywire.subject_members TO anon, authenticated;
--> statement-breakpoint
GRANT INSERT ON paywire.checkout_sessions, paywire.portal_sessions TO authenticated;
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.customer_mappings FOR SELECT TO authenticated
  USING (paywire.caller_can_access(subject_type, subject_id));
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.customers FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM paywire.customer_mappings m
                  WHERE m.environment = customers.environment
                    AND m.stripe_customer_id = customers.stripe_customer_id
                    AND paywire.caller_can_access(m.subject_type, m.subject_id)));
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.checkout_sessions FOR SELECT TO authenticated
  USING (paywire.caller_can_access(subject_type, subject_id));
--> statement-breakpoint
CREATE POLICY subject_insert ON paywire.checkout_sessions FOR INSERT TO authenticated
  WITH CHECK (paywire.caller_can_access(subject_type, subject_id) AND created_by = paywire.caller_id());
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.portal_sessions FOR SELECT TO authenticated
  USING (paywire.caller_can_access(subject_type, subject_id));
--> statement-breakpoint
CREATE POLICY subject_insert ON paywire.portal_sessions FOR INSERT TO authenticated
  WITH CHECK (paywire.caller_can_access(subject_type, subject_id) AND created_by = paywire.caller_id());
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.subscriptions FOR SELECT TO authenticated
  USING (paywire.caller_can_access(subject_type, subject_id));
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.subscription_items FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM paywire.subscriptions s
                  WHERE s.environment = subscription_items.environment
                    AND s.stripe_subscription_id = subscription_items.stripe_subscription_id
                    AND paywire.caller_can_access(s.subject_type, s.subject_id)));
--> statement-breakpoint
CREATE POLICY subject_read ON paywire.payment_history FOR SELECT TO authenticated
  USING (paywire.caller_can_access(subject_type, subject_id));
--> statement-breakpoint
CREATE POLICY own_memberships ON paywire.subject_members FOR SELECT TO authenticated
  USING (user_id = paywire.caller_id());
--> statement-breakpoint

-- updated_at is maintained by the database, so no write path can forget it.
CREATE OR REPLACE FUNCTION paywire.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'paywire' AND tablename <> '__migrations' LOOP
    EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON paywire.%I FOR EACH ROW EXECUTE FUNCTION paywire.touch_updated_at()', t);
  END LOOP;
END
$$;
--> statement-breakpoint

-- Billing subjects are denormalized onto subscriptions, payments and checkout sessions so the
-- app can join and RLS can filter without a lookup. Events arrive in any order: a row written
-- before its customer's mapping is filled in when the mapping arrives, and a row written after
-- it picks the mapping up on insert.
CREATE OR REPLACE FUNCTION paywire.fill_subject_from_mapping() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NEW.subject_id IS NULL AND NEW.stripe_customer_id IS NOT NULL THEN
    SELECT m.subject_type, m.subject_id INTO NEW.subject_type, NEW.subject_id
      FROM paywire.customer_mappings m
     WHERE m.environment = NEW.environment AND m.stripe_customer_id = NEW.stripe_customer_id;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.subscriptions
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.payment_history
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
--> statement-breakpoint
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.checkout_sessions
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION paywire.backfill_subject_from_mapping() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  UPDATE paywire.subscriptions SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  UPDATE paywire.payment_history SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  UPDATE paywire.checkout_sessions SET subject_type = NEW.subject_type, subject_id = NEW.subject_id
   WHERE environment = NEW.environment AND stripe_customer_id = NEW.stripe_customer_id AND subject_id IS NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER backfill_subject AFTER INSERT OR UPDATE OF stripe_customer_id, subject_type, subject_id
  ON paywire.customer_mappings
  FOR EACH ROW EXECUTE FUNCTION paywire.backfill_subject_from_mapping();
