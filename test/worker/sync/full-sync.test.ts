/**
 * A full sync of a seeded emulator account through the real `scheduled` handler: Paywire's rows
 * end equal to the emulator's state, with ⌈N/100⌉ list calls per resource (counted by the
 * emulator) and at most ⌈N/500⌉ database round trips per resource (counted by the run and
 * cross-checked against the local Neon endpoint's request count for the whole tick).
 *
 * Size: the 1,200 products, 2,500 prices, 3,000 customers and 5,000 subscriptions run
 * on Postgres; on PGlite (one session, slow for this volume) a tenth of it, with the same checks.
 */
import { describe, expect, inject, it } from 'vitest';
import { neonControl } from '../support/neon';
import { sqlFor } from '../support/worker';
import { expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

const full = inject('backend') === 'postgres';
const SIZE = full
  ? { products: 1_200, prices: 2_500, customers: 3_000, subscriptions: 5_000 }
  : { products: 120, prices: 250, customers: 300, subscriptions: 500 };

const ceil = (n: number, d: number) => Math.max(1, Math.ceil(n / d));

describe(`full sync (${full ? 'issue size, Postgres' : 'one tenth, PGlite'})`, () => {
  it(`${SIZE.products} products, ${SIZE.prices} prices, ${SIZE.customers} customers, ${SIZE.subscriptions} subscriptions end equal to the emulator in one tick`, async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '600000' });
    await f.control.seed({
      products: SIZE.products,
      prices: SIZE.prices,
      inactive_prices: Math.floor(SIZE.prices / 10),
      customers: SIZE.customers,
      subscriptions: {
        active: SIZE.subscriptions * 0.7,
        trialing: SIZE.subscriptions * 0.1,
        canceled: SIZE.subscriptions * 0.1,
        past_due: SIZE.subscriptions * 0.1,
      },
    });
    await f.control.resetCounters();
    const neon = neonControl(f.env);
    const requestsBefore = await neon.requests();

    const [test] = await tick(f.env);
    expect(test).toMatchObject({ environment: 'test', outcome: 'completed' });

    const requests = (await neon.requests()) - requestsBefore;
    const counters = await f.control.counters();
    const theirs = await expectEqualToEmulator(f.env, f.control);
    expect(theirs.subscriptions.length).toBe(SIZE.subscriptions);

    const run = await latestRun(f.env);
    expect(run.status).toBe('completed');
    let roundTripBound = 0;
    for (const resource of ['products', 'prices', 'customers', 'subscriptions'] as const) {
      const n = SIZE[resource];
      expect(counters.list_calls[resource], `${resource} list calls`).toBe(ceil(n, 100));
      const counts = run.counts.resources[resource];
      expect(counts, resource).toMatchObject({
        seen: n,
        inserted: n,
        updated: 0,
        unchanged: 0,
        tombstoned: 0,
      });
      expect(counts.dbRoundTrips, `${resource} round trips`).toBeLessThanOrEqual(ceil(n, 500));
      expect(run.drift[resource]).toMatchObject({ added: n, corrected: 0, archived: 0, removed: 0 });
      roundTripBound += ceil(n, 500);
    }
    // Besides the chunks, a tick reads the connection, takes the lease, checks for missed
    // events, picks and marks the run, saves its end and releases the lease: 7 more; then it
    // re-enqueues stuck hook deliveries (one per environment) and reads the alert inputs of
    // both environments (one): 10.
    expect(requests).toBeLessThanOrEqual(roundTripBound + 10);
    expect(run.counts.stripeCalls).toBe(Object.values(SIZE).reduce((sum, n) => sum + ceil(n, 100), 0));

    // A second pass over the unchanged account writes nothing and finds no drift (checked at
    // the small size only, to keep the Postgres run short).
    if (full) return;
    await sqlFor(f.env).query(
      "update paywire.sync_runs set finished_at = now() - interval '7 hours' where environment = 'test'",
    );
    const [again] = await tick(f.env);
    expect(again).toMatchObject({ outcome: 'completed' });
    const repair = await latestRun(f.env);
    expect(repair.kind).toBe('cron');
    for (const resource of ['products', 'prices', 'customers', 'subscriptions'] as const) {
      expect(repair.counts.resources[resource]).toMatchObject({
        seen: SIZE[resource],
        inserted: 0,
        updated: 0,
        tombstoned: 0,
        unchanged: SIZE[resource],
      });
      expect(repair.drift[resource]).toEqual({ added: 0, corrected: 0, archived: 0, removed: 0, sample: [] });
    }
  }, 600_000);
});
