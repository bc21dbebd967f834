-- billing_audit indexes (#12 review): subject/object pages in (created_at, id) order; one failed-attempt row per invoice attempt (concurrent deliveries used to add two, inflating the failures-in-a-row count: the later copies are removed first); rows still without a subject (payment_facts fills them).
DELETE FROM "paywire"."billing_audit" a USING "paywire"."billing_audit" b
 WHERE a.new_status = 'payment_failed' AND b.new_status = 'payment_failed' AND a.environment = b.environment
   AND a.stripe_object_id = b.stripe_object_id AND (a.details ->> 'attempt_count') = (b.details ->> 'attempt_count')
   AND a.id > b.id;--> statement-breakpoint
DROP INDEX "paywire"."billing_audit_subject_idx";--> statement-breakpoint
DROP INDEX "paywire"."billing_audit_object_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "billing_audit_failed_attempt_uq" ON "paywire"."billing_audit" USING btree ("environment","stripe_object_id",("details" ->> 'attempt_count')) WHERE "paywire"."billing_audit"."new_status" = 'payment_failed';--> statement-breakpoint
CREATE INDEX "billing_audit_held_idx" ON "paywire"."billing_audit" USING btree ("environment","stripe_object_id") WHERE "paywire"."billing_audit"."subject_id" is null;--> statement-breakpoint
CREATE INDEX "billing_audit_subject_idx" ON "paywire"."billing_audit" USING btree ("environment","subject_type","subject_id","created_at","id");--> statement-breakpoint
CREATE INDEX "billing_audit_object_idx" ON "paywire"."billing_audit" USING btree ("environment","stripe_object_id","created_at","id");