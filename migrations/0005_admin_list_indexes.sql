DROP INDEX "paywire"."audit_log_created_idx";--> statement-breakpoint
DROP INDEX "paywire"."webhook_events_env_received_idx";--> statement-breakpoint
DROP INDEX "paywire"."webhook_events_env_status_idx";--> statement-breakpoint
DROP INDEX "paywire"."webhook_events_env_type_idx";--> statement-breakpoint
CREATE INDEX "audit_log_env_created_idx" ON "paywire"."audit_log" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "customers_env_created_idx" ON "paywire"."customers" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "payment_history_env_occurred_idx" ON "paywire"."payment_history" USING btree ("environment","occurred_at","id");--> statement-breakpoint
CREATE INDEX "prices_env_created_idx" ON "paywire"."prices" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "products_env_created_idx" ON "paywire"."products" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "subscriptions_env_created_idx" ON "paywire"."subscriptions" USING btree ("environment","created_at","id");--> statement-breakpoint
CREATE INDEX "audit_log_created_idx" ON "paywire"."audit_log" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_events_env_received_idx" ON "paywire"."webhook_events" USING btree ("environment","received_at","id");--> statement-breakpoint
CREATE INDEX "webhook_events_env_status_idx" ON "paywire"."webhook_events" USING btree ("environment","processing_status","received_at","id");--> statement-breakpoint
CREATE INDEX "webhook_events_env_type_idx" ON "paywire"."webhook_events" USING btree ("environment","type","received_at","id");