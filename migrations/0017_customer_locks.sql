-- Custom migration: rows derived from ANOTHER row converge under concurrent deliveries too.
--
-- Two projections copy a value from a different row: a row's subject from its customer's
-- mapping (fill_subject / backfill_subject), and a refund's customer from its payment. Each side
-- fills the other in, but under READ COMMITTED two concurrent transactions can each miss the
-- other's uncommitted row and both commit with the value missing (seen in the head-to-head
-- benchmark at concurrency 8: a refund left without its customer).
--
-- The webhook projection therefore takes transaction-scoped advisory locks on the keys the
-- derived values hang on (`payment:<env>:<payment intent>`, `customer:<env>:<id>`) right after
-- the event row, before it reads or writes anything else: the second of two such transactions
-- waits for the first to commit, and its next statements see the first's rows.
--
-- A lock is `pg_advisory_xact_lock(paywire.billing_lock_key(key))` (a plain SQL function, inlined:
-- no PL/pgSQL on the hot path). The webhook projection sends its keys in order as one array and
-- locks them with `unnest`, which yields them in array order.
--
-- One order for everyone, so no two transactions wait on each other: payment keys before
-- customer keys, then by key. A refund that names no customer locks its payment first and then,
-- in a second call, the customer recorded on that payment, which still follows the order.
-- The triggers take no locks: a sync chunk writes hundreds of customers' rows in one
-- transaction, and a lock per customer there would exhaust the lock table. Rows written by the
-- sync or the runtime API that lose such a race get their subject on their next write (the
-- fill_subject trigger runs on every update), e.g. the next repair pass.
CREATE OR REPLACE FUNCTION paywire.billing_lock_key(k text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT hashtextextended('paywire:' || k, 0) $$;
