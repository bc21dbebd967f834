/**
 * Drift repair: after a full sync, objects change and disappear in the emulator without any
 * webhook, and rows are corrupted behind Paywire's back. ONE cron pass through the real
 * `scheduled` handler restores equality with the emulator and reports exactly that drift,
 * which `GET /admin/v1/status` then shows.
 */
import { describe, expect, it } from 'vitest';
import { call, sqlFor } from '../support/worker';
import { emulatorState, expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

describe('cron repair', () => {
  it('one pass restores equality and reports exactly the drift introduced', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '600000' });
    await f.control.seed({
      products: 30,
      prices: 40,
      customers: 25,
      subscriptions: { active: 30, trialing: 5 },
    });
    expect((await tick(f.env))[0]).toMatchObject({ outcome: 'completed' });
    const before = await emulatorState(f.control);
    const sql = sqlFor(f.env);

    // In Stripe, without webhooks: 2 products renamed, 1 deleted; 1 active price archived;
    // 1 subscription canceled; 1 customer deleted.
    const activePrice = before.prices.find((p) => p.active)!;
    const liveSub = before.subscriptions.find((s) => s.status === 'active')!;
    const gone = { product: before.products[2]!.id as string, customer: before.customers[3]!.id as string };
    await f.control.silent({
      update: [
        { id: before.products[0]!.id as string, set: { name: 'Renamed A' } },
        { id: before.products[1]!.id as string, set: { name: 'Renamed B' } },
        { id: activePrice.id as string, set: { active: false } },
        {
          id: liveSub.id as string,
          set: {
            status: 'canceled',
            canceled_at: Math.floor(Date.now() / 1000),
            ended_at: Math.floor(Date.now() / 1000),
          },
        },
      ],
      delete: [gone.product, gone.customer],
    });
    // Behind Paywire's back: 2 subscription rows with a wrong status, a price with a wrong
    // amount, a customer row deleted, a product row that never existed in Stripe.
    const otherSubs = before.subscriptions.filter((s) => s.id !== liveSub.id).slice(0, 2);
    await sql.query(
      `update paywire.subscriptions set status = 'unpaid' where stripe_subscription_id = any($1)`,
      [otherSubs.map((s) => s.id)],
    );
    const otherPrice = before.prices.find((p) => p.id !== activePrice.id)!;
    await sql.query('update paywire.prices set unit_amount = 1 where stripe_price_id = $1', [otherPrice.id]);
    const lostCustomer = before.customers[5]!.id as string;
    await sql.query('delete from paywire.customers where stripe_customer_id = $1', [lostCustomer]);
    await sql.query(
      `insert into paywire.products (environment, stripe_product_id, name, active, raw, source_ts)
       values ('test', 'prod_never_in_stripe', 'Ghost', true, '{}', 1700000000)`,
    );

    // A repair is due (the last pass finished more than the interval ago). It starts in a later
    // second than the first pass's reads: rows whose state is of the run's own start second are
    // left to the next pass by the sweep guard (a webhook may have written them), which made
    // this test flaky when both passes fell in one second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await sql.query("update paywire.sync_runs set finished_at = now() - interval '7 hours'");
    const [outcome] = await tick(f.env);
    expect(outcome).toMatchObject({ environment: 'test', outcome: 'completed' });
    await expectEqualToEmulator(f.env, f.control);

    const run = await latestRun(f.env);
    expect(run.kind).toBe('cron');
    const drift = Object.fromEntries(
      Object.entries(run.drift as Record<string, Record<string, unknown>>).map(([r, { sample, ...d }]) => [
        r,
        { ...d, sample: [...(sample as string[])].sort() },
      ]),
    );
    expect(drift).toEqual({
      products: {
        added: 0,
        corrected: 2,
        archived: 0,
        removed: 2,
        sample: [before.products[0]!.id, before.products[1]!.id, gone.product, 'prod_never_in_stripe'].sort(),
      },
      prices: {
        added: 0,
        corrected: 1,
        archived: 1,
        removed: 0,
        sample: [activePrice.id, otherPrice.id].sort(),
      },
      customers: {
        added: 1,
        corrected: 0,
        archived: 0,
        removed: 1,
        sample: [lostCustomer, gone.customer].sort(),
      },
      subscriptions: {
        added: 0,
        corrected: 2,
        archived: 1,
        removed: 0,
        sample: [liveSub.id, ...otherSubs.map((s) => s.id)].sort(),
      },
    });
    expect(run.counts.resources.products).toMatchObject({
      seen: 29,
      updated: 2,
      tombstoned: 2,
      unchanged: 27,
    });

    // Status tells the operator what the last repair did.
    const status = await call(f.env, 'GET', '/admin/v1/status', { admin: true });
    expect(status.status).toBe(200);
    expect(status.json.environments.test.lastSync).toMatchObject({ kind: 'cron', status: 'completed' });
    expect(status.json.environments.test.lastSync.drift.subscriptions).toMatchObject({
      corrected: 2,
      archived: 1,
    });
    expect(status.json.environments.test.lastRepair).toMatchObject({
      kind: 'cron',
      summary:
        '2 products corrected, 2 products removed (gone from Stripe), 1 price corrected, 1 price archived, ' +
        '1 customer added, 1 customer removed (gone from Stripe), 2 subscriptions corrected, 1 subscription canceled',
    });

    // The deleted product's row is tombstoned, not removed (a late event cannot resurrect it).
    const [row] = await sql.query(
      'select active, deleted_at from paywire.products where stripe_product_id = $1',
      [gone.product],
    );
    expect(row).toMatchObject({ active: false, deleted_at: expect.anything() });
  }, 120_000);
});
