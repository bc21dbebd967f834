-- Custom migration: the fulfillment tables of 0019 are operator tables like outbox: row level
-- security on, no end-user grant, full access for paywire_service through its usual policy,
-- and updated_at kept by the database.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['hook_endpoints', 'hook_deliveries', 'billing_audit', 'alerts', 'alert_settings', 'recipe_installs'] LOOP
    EXECUTE format('ALTER TABLE paywire.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON paywire.%I TO paywire_service', t);
    EXECUTE format('CREATE POLICY service_all ON paywire.%I FOR ALL TO paywire_service USING (true) WITH CHECK (true)', t);
    EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON paywire.%I FOR EACH ROW EXECUTE FUNCTION paywire.touch_updated_at()', t);
  END LOOP;
END
$$;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE paywire.hook_deliveries_id_seq, paywire.billing_audit_id_seq TO paywire_service;
