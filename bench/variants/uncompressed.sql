-- bench/postgres-cost variant: rows up to ~8 KB stay inline and uncompressed (no TOAST work at
-- all for the corpus's 2–5 KB payloads and raw objects): less CPU than lz4, ~+40% WAL.
ALTER TABLE paywire.webhook_events SET (toast_tuple_target = 8160);
ALTER TABLE paywire.products SET (toast_tuple_target = 8160);
ALTER TABLE paywire.prices SET (toast_tuple_target = 8160);
ALTER TABLE paywire.customers SET (toast_tuple_target = 8160);
ALTER TABLE paywire.subscriptions SET (toast_tuple_target = 8160);
ALTER TABLE paywire.subscription_items SET (toast_tuple_target = 8160);
ALTER TABLE paywire.payment_history SET (toast_tuple_target = 8160);
ALTER TABLE paywire.checkout_sessions SET (toast_tuple_target = 8160);
