-- Custom migration: customer_claims is an operator table (the Worker's own bookkeeping while it
-- creates a subject's first Stripe customer): row level security on, no end-user grant, full
-- access for paywire_service through its usual policy, updated_at kept by the database.
ALTER TABLE paywire.customer_claims ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON paywire.customer_claims TO paywire_service;
--> statement-breakpoint
CREATE POLICY service_all ON paywire.customer_claims FOR ALL TO paywire_service USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON paywire.customer_claims
  FOR EACH ROW EXECUTE FUNCTION paywire.touch_updated_at();
