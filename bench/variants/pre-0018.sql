-- bench/postgres-cost variant: the schema as before migration 0018 (pglz, full status index,
-- fill_subject without WHEN), for A/B against `base` (the current migrations).
DROP INDEX paywire.webhook_events_env_status_idx;
CREATE INDEX webhook_events_env_status_idx ON paywire.webhook_events (environment, processing_status, received_at, id);
ALTER TABLE paywire.webhook_events ALTER COLUMN payload SET COMPRESSION pglz, ALTER COLUMN raw_body SET COMPRESSION pglz;
ALTER TABLE paywire.products ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.prices ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.customers ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.subscriptions ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.subscription_items ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.payment_history ALTER COLUMN raw SET COMPRESSION pglz;
ALTER TABLE paywire.checkout_sessions ALTER COLUMN raw SET COMPRESSION pglz;
DROP TRIGGER fill_subject ON paywire.subscriptions;
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.subscriptions
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
DROP TRIGGER fill_subject ON paywire.payment_history;
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.payment_history
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
DROP TRIGGER fill_subject ON paywire.checkout_sessions;
CREATE TRIGGER fill_subject BEFORE INSERT OR UPDATE ON paywire.checkout_sessions
  FOR EACH ROW EXECUTE FUNCTION paywire.fill_subject_from_mapping();
