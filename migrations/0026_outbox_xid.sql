-- The transaction that wrote each outbox message, so the pull API can page in (xid, id) order below the oldest transaction still running (an id is taken at INSERT; transactions commit out of id order). Existing rows get '0' (older than any transaction: they keep their id order, ahead of every new row), new rows pg_current_xact_id(); a constant default adds the column without rewriting the table.
ALTER TABLE "paywire"."outbox" ADD COLUMN "xid" "xid8" DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "paywire"."outbox" ALTER COLUMN "xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "outbox_env_xid_id_idx" ON "paywire"."outbox" USING btree ("environment","xid","id");
