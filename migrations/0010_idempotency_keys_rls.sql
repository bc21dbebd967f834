-- Custom migration: idempotency_keys is an operator table like audit_log: row level security
-- on with no policy (end-user roles read nothing), full access for paywire_service.
ALTER TABLE paywire.idempotency_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON paywire.idempotency_keys TO paywire_service;
