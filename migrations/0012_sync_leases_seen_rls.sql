-- Custom migration: sync_leases and sync_seen are operator tables like sync_runs: row level
-- security on, no end-user grant, full access for paywire_service through its usual policy.
ALTER TABLE paywire.sync_leases ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE paywire.sync_seen ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON paywire.sync_leases, paywire.sync_seen TO paywire_service;
--> statement-breakpoint
CREATE POLICY service_all ON paywire.sync_leases FOR ALL TO paywire_service USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY service_all ON paywire.sync_seen FOR ALL TO paywire_service USING (true) WITH CHECK (true);
