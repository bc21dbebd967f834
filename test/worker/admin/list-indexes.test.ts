/**
 * Every admin list ordered by (environment, time) is served by an index: the planner reads a
 * page straight off the index, newest first, with no Sort node. The queries are the ones the
 * routes really send (captured at the Neon driver while calling each route), explained against
 * a few thousand rows per table and environment after ANALYZE.
 *
 * Real Postgres only: PGlite's planner runs on a one-session WASM build with its own cost
 * settings, so its plan choices say nothing about production. Run with TEST_DATABASE_URL.
 */
import { neonConfig } from '@neondatabase/serverless';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, call, sqlFor } from '../support/worker';
import { adminEnv } from './support';

const onPostgres = baseEnv.TEST_BACKEND === 'postgres';
const ROWS = 3000; // per table and environment

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** Compact one-line plan for failure messages and the report: "Limit > Index Scan Backward(idx)". */
function describePlan(plan: PlanNode, depth = 0): string {
  const scan = plan['Index Name'] ? ` ${plan['Scan Direction'] ?? ''}(${plan['Index Name']})` : '';
  const here = `${'  '.repeat(depth)}${plan['Node Type']}${scan}${plan['Relation Name'] && !plan['Index Name'] ? ` on ${plan['Relation Name']}` : ''}`;
  return [here, ...(plan.Plans ?? []).map((p) => describePlan(p, depth + 1))].join('\n');
}

/** Calls `path` as the admin and returns the SQL (text and parameters) it sent for `table`. */
async function capturedQuery(
  env: ReturnType<typeof adminEnv>,
  path: string,
  table: string,
): Promise<{ query: string; params: unknown[] }> {
  const sent: Array<{ query: string; params: unknown[] }> = [];
  const previous = neonConfig.fetchFunction;
  neonConfig.fetchFunction = async (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as
      | { query: string; params: unknown[] }
      | { queries: Array<{ query: string; params: unknown[] }> };
    sent.push(...('queries' in body ? body.queries : [body]));
    return fetch(url, init);
  };
  try {
    const res = await call(env, 'GET', path, { admin: true });
    expect(res.status, res.text).toBe(200);
  } finally {
    neonConfig.fetchFunction = previous;
  }
  const list = sent.filter((q) => q.query.includes(`from "paywire"."${table}"`) && /order by/i.test(q.query));
  expect(list, `one list query on ${table} for ${path}`).toHaveLength(1);
  return list[0]!;
}

/** Seeds ROWS rows per environment in every listed table, with times spread over days, then ANALYZE. */
async function seed(env: ReturnType<typeof adminEnv>) {
  const sql = sqlFor(env);
  const series = `from generate_series(1, ${ROWS}) i cross join (values ('test'), ('live')) e(env)`;
  const at = `now() - (i * interval '1 minute') - (random() * interval '30 seconds')`;
  await sql.transaction([
    sql.query(`insert into paywire.products (environment, stripe_product_id, name, active, raw, created_at)
      select env, 'prod_' || env || i, 'Product ' || i, i % 3 <> 0, '{}', ${at} ${series}`),
    sql.query(`insert into paywire.prices (environment, stripe_price_id, stripe_product_id, active, currency, type, raw, created_at)
      select env, 'price_' || env || i, 'prod_' || env || (i % 50), true, 'usd', 'recurring', '{}', ${at} ${series}`),
    sql.query(`insert into paywire.customers (environment, stripe_customer_id, email, raw, created_at)
      select env, 'cus_' || env || i, 'c' || i || '@example.com', '{}', ${at} ${series}`),
    sql.query(`insert into paywire.customer_mappings (environment, subject_type, subject_id, stripe_customer_id, source)
      select env, 'user', 'u' || i, 'cus_' || env || i, 'paywire' ${series} where i % 2 = 0`),
    sql.query(`insert into paywire.subscriptions (environment, stripe_subscription_id, stripe_customer_id, status, raw, created_at)
      select env, 'sub_' || env || i, 'cus_' || env || i, case when i % 4 = 0 then 'canceled' else 'active' end, '{}', ${at} ${series}`),
    sql.query(`insert into paywire.subscription_items (environment, stripe_subscription_item_id, stripe_subscription_id, stripe_price_id, raw)
      select env, 'si_' || env || i, 'sub_' || env || i, 'price_' || env || (i % 50), '{}' ${series}`),
    sql.query(`insert into paywire.payment_history (environment, kind, stripe_object_id, amount, currency, status, occurred_at, raw)
      select env, 'invoice', 'in_' || env || i, 100 * i, 'usd', 'paid', ${at}, '{}' ${series}`),
    sql.query(`insert into paywire.webhook_events (environment, stripe_event_id, type, livemode, stripe_created, payload, processing_status, received_at)
      select env, 'evt_' || env || i, (array['invoice.paid', 'customer.updated', 'product.created'])[1 + i % 3], env = 'live',
             1790000000 + i, '{}', case when i % 10 = 0 then 'failed' else 'processed' end, ${at} ${series}`),
    sql.query(`insert into paywire.audit_log (environment, actor, action, created_at)
      select env, 'admin', (array['connection.put', 'events.retry', 'sync.run'])[1 + i % 3], ${at} ${series}`),
    sql.query('analyze'),
  ]);
}

/** Lists, the table each reads, and the index that must serve it. */
const LISTS: Array<{ path: string; table: string; index: string }> = [
  { path: '/admin/v1/test/products', table: 'products', index: 'products_env_created_idx' },
  { path: '/admin/v1/live/products?active=true', table: 'products', index: 'products_env_created_idx' },
  { path: '/admin/v1/test/prices', table: 'prices', index: 'prices_env_created_idx' },
  { path: '/admin/v1/test/customers', table: 'customers', index: 'customers_env_created_idx' },
  { path: '/admin/v1/test/subscriptions', table: 'subscriptions', index: 'subscriptions_env_created_idx' },
  {
    path: '/admin/v1/test/subscriptions?status=active',
    table: 'subscriptions',
    index: 'subscriptions_env_created_idx',
  },
  { path: '/admin/v1/test/payments', table: 'payment_history', index: 'payment_history_env_occurred_idx' },
  { path: '/admin/v1/test/events', table: 'webhook_events', index: 'webhook_events_env_received_idx' },
  {
    path: '/admin/v1/test/events?status=failed',
    table: 'webhook_events',
    index: 'webhook_events_env_status_idx',
  },
  {
    path: '/admin/v1/test/events?type=invoice.paid',
    table: 'webhook_events',
    index: 'webhook_events_env_type_idx',
  },
  { path: '/admin/v1/audit', table: 'audit_log', index: 'audit_log_created_idx' },
  { path: '/admin/v1/audit?environment=live', table: 'audit_log', index: 'audit_log_env_created_idx' },
];

describe.skipIf(!onPostgres)(
  onPostgres
    ? 'admin lists are served by an index, no Sort (EXPLAIN on real Postgres)'
    : 'admin lists are served by an index — SKIPPED on PGlite: EXPLAIN is meaningful only on real Postgres (set TEST_DATABASE_URL)',
  () => {
    const env = adminEnv();
    const sql = sqlFor(env);

    beforeAll(async () => {
      await seed(env);
    }, 120_000);

    async function explain(
      query: { query: string; params: unknown[] },
      options: { seqscan: boolean } = { seqscan: true },
    ): Promise<PlanNode> {
      const [, result] = await sql.transaction([
        sql.query(`select set_config('enable_seqscan', $1, true)`, [options.seqscan ? 'on' : 'off']),
        sql.query(`explain (format json) ${query.query}`, query.params),
      ]);
      const rows = result as Array<Record<string, unknown>>;
      const json = Object.values(rows[0]!)[0];
      const doc = (typeof json === 'string' ? JSON.parse(json) : json) as Array<{ Plan: PlanNode }>;
      return doc[0]!.Plan;
    }

    function expectServedBy(plan: PlanNode, table: string, index: string) {
      const text = describePlan(plan);
      const all = nodes(plan);
      expect(
        all.filter((n) => /Sort/.test(n['Node Type'])),
        `no Sort node:\n${text}`,
      ).toEqual([]);
      expect(plan['Node Type'], text).toBe('Limit');
      const scans = all.filter((n) => n['Relation Name'] === table);
      expect(
        scans.map((n) => `${n['Node Type']}(${n['Index Name'] ?? ''})`),
        text,
      ).toEqual([`Index Scan(${index})`]);
    }

    for (const list of LISTS) {
      it(`GET ${list.path} → Index Scan on ${list.index}, no Sort`, async () => {
        const query = await capturedQuery(env, list.path, list.table);
        const plan = await explain(query);
        expectServedBy(plan, list.table, list.index);
        console.info(`${list.path}\n${describePlan(plan)}`);
      });

      it(`GET ${list.path} next page (cursor) → the same index, no Sort`, async () => {
        const first = await call(env, 'GET', `${list.path}${list.path.includes('?') ? '&' : '?'}limit=5`, {
          admin: true,
        });
        expect(first.status, first.text).toBe(200);
        const cursor = (first.json as { nextCursor: string | null }).nextCursor;
        expect(cursor).toEqual(expect.any(String));
        const path = `${list.path}${list.path.includes('?') ? '&' : '?'}limit=5&cursor=${encodeURIComponent(cursor!)}`;
        const plan = await explain(await capturedQuery(env, path, list.table));
        expectServedBy(plan, list.table, list.index);
      });
    }

    it('subscriptions?price= (an EXISTS over the items): items found by price through their index, no Seq Scan', async () => {
      const query = await capturedQuery(
        env,
        '/admin/v1/test/subscriptions?price=price_test7',
        'subscriptions',
      );
      // At a few thousand rows hashing the whole table is honestly cheaper; with sequential
      // scans off the planner shows the index path it takes once tables are large.
      const plan = await explain(query, { seqscan: false });
      const text = describePlan(plan);
      console.info(`/admin/v1/test/subscriptions?price=price_test7\n${text}`);
      const all = nodes(plan);
      expect(
        all.filter((n) => n['Node Type'] === 'Seq Scan'),
        text,
      ).toEqual([]);
      // A Sort may sit on top here: it sorts only the subscriptions holding that price.
      expect(
        all.some((n) => n['Index Name'] === 'subscription_items_env_price_idx'),
        text,
      ).toBe(true);
    });
  },
);
