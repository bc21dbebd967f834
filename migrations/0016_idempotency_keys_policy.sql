-- Custom migration: idempotency_keys gets what every operator table has (0010 only enabled RLS
-- and granted): paywire_service's unconditional policy, and updated_at kept by the database.
CREATE POLICY service_all ON paywire.idempotency_keys FOR ALL TO paywire_service USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON paywire.idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION paywire.touch_updated_at();
