/**
 * Sync tests: an emulator account of its own connected to an isolated database, the real
 * `scheduled` handler, and a comparison of Paywire's rows with the emulator's state.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../../src/index';
import { setLogSink } from '../../../src/logger';
import { emulatorAccount } from '../support/emulator';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

export type SyncFixture = Awaited<ReturnType<typeof syncFixture>>;

let hosts = 0;

/** A fresh emulator account whose test key is connected (which queues a full sync). */
export async function syncFixture(overrides: Partial<TestEnv> = {}) {
  const emulator = await emulatorAccount(isolatedEnv(), 'sync test');
  const host = `s${Date.now().toString(36)}${(hosts++).toString(36)}.paywire.test`;
  const env = isolatedEnv({ PAYWIRE_PUBLIC_URL: `https://${host}`, LOG_LEVEL: 'warn', ...overrides });
  const res = await call(env, 'PUT', '/admin/v1/test/connection', {
    admin: true,
    body: { secretKey: emulator.key },
  });
  expect(res.status, res.text).toBe(200);
  return { env, ...emulator };
}

/** One cron tick through the real `scheduled` handler; returns the tick's log line outcomes. */
export async function tick(env: TestEnv): Promise<Array<Record<string, any>>> {
  const lines: string[] = [];
  const previous = setLogSink((line, level) => {
    lines.push(line);
    if (level === 'error') previous?.(line, level);
  });
  try {
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: '*/10 * * * *', scheduledTime: Date.now() }),
      { ...env, LOG_LEVEL: 'info' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
  } finally {
    setLogSink(previous);
  }
  const summary = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'sync tick');
  if (!summary) throw new Error(`no sync tick line in:\n${lines.join('\n')}`);
  return summary.outcomes;
}

/** Ticks until the environment's newest run is completed (or `max` ticks). Returns ticks used. */
export async function tickUntilDone(env: TestEnv, max = 50): Promise<number> {
  for (let i = 1; i <= max; i++) {
    const [test] = await tick(env);
    if (test?.outcome === 'completed') return i;
    if (test?.outcome === 'idle') return i;
  }
  throw new Error(`sync not done after ${max} ticks`);
}

export async function latestRun(env: TestEnv) {
  const [row] = (await sqlFor(env).query(
    "select * from paywire.sync_runs where environment = 'test' order by started_at desc, id desc limit 1",
  )) as Array<Record<string, any>>;
  return row!;
}

type Row = Record<string, unknown>;

/** What the emulator holds, in the columns Paywire projects (rows sorted by id). */
export async function emulatorState(control: SyncFixture['control']) {
  const [products, prices, customers, subscriptions] = await Promise.all([
    control.objects<Row>('product', ['id', 'name', 'active', 'default_price']),
    control.objects<Row>('price', ['id', 'product', 'active', 'unit_amount', 'currency']),
    control.objects<Row>('customer', ['id', 'email', 'name']),
    control.objects<Row>('subscription', ['id', 'customer', 'status', 'items']),
  ]);
  const byId = (a: Row, b: Row) => String(a.id).localeCompare(String(b.id));
  return {
    products: products.data
      .map((p) => ({ id: p.id, name: p.name, active: p.active, defaultPrice: p.default_price ?? null }))
      .sort(byId),
    prices: prices.data
      .map((p) => ({
        id: p.id,
        product: p.product,
        active: p.active,
        unitAmount: p.unit_amount,
        currency: p.currency,
      }))
      .sort(byId),
    customers: customers.data
      .map((c) => ({ id: c.id, email: c.email ?? null, name: c.name ?? null }))
      .sort(byId),
    subscriptions: subscriptions.data
      .map((s) => ({
        id: s.id,
        customer: s.customer,
        status: s.status,
        items: ((s.items as { data: Row[] }).data ?? []).map((i) => i.id as string).sort(),
      }))
      .sort(byId),
  };
}

/** The same view of Paywire's live (not tombstoned) rows. */
export async function paywireState(env: TestEnv) {
  const sql = sqlFor(env);
  const q = (text: string) => sql.query(text) as Promise<Row[]>;
  const [products, prices, customers, subscriptions] = await Promise.all([
    q(`select stripe_product_id as id, name, active, default_price_id as "defaultPrice" from paywire.products
        where environment = 'test' and deleted_at is null`),
    q(`select stripe_price_id as id, stripe_product_id as product, active, unit_amount::int as "unitAmount", currency
         from paywire.prices where environment = 'test' and deleted_at is null`),
    q(`select stripe_customer_id as id, email, name from paywire.customers
        where environment = 'test' and deleted_at is null`),
    q(`select s.stripe_subscription_id as id, s.stripe_customer_id as customer, s.status,
              coalesce((select array_agg(i.stripe_subscription_item_id order by i.stripe_subscription_item_id collate "C")
                          from paywire.subscription_items i
                         where i.environment = 'test' and i.stripe_subscription_id = s.stripe_subscription_id
                           and i.deleted_at is null), '{}') as items
         from paywire.subscriptions s where s.environment = 'test' and s.deleted_at is null`),
  ]);
  return { products, prices, customers, subscriptions };
}

/** Paywire's rows equal the emulator's state, resource by resource (compared in full). */
export async function expectEqualToEmulator(env: TestEnv, control: SyncFixture['control']) {
  const [ours, theirs] = await Promise.all([paywireState(env), emulatorState(control)]);
  const sort = (rows: Row[]) => [...rows].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  for (const resource of ['products', 'prices', 'customers', 'subscriptions'] as const) {
    const a = sort(ours[resource]);
    const b = sort(theirs[resource] as Row[]);
    expect(a.length, `${resource} count`).toBe(b.length);
    expect(a, resource).toEqual(b);
  }
  return theirs;
}
