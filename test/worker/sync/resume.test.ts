/**
 * A pass that does not fit in one tick: a tiny slice budget cuts every tick after one list
 * page, Stripe answers 429 to a run of subscription pages, and the database goes down in the
 * middle of a slice (while a list call is in flight, so the chunk's write is what fails). The
 * run resumes from its saved cursor tick after tick and ends exactly as an uninterrupted pass:
 * rows equal to the emulator, every object counted once.
 */
import { describe, expect, it } from 'vitest';
import { emulatorAccount } from '../support/emulator';
import { neonControl } from '../support/neon';
import { call, isolatedEnv, sqlFor } from '../support/worker';
import { expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

const SIZE = { products: 150, prices: 250, customers: 150, subscriptions: 250 };

describe('resumable sync', () => {
  it('resumes through budget cuts, an injected 429 run and a database outage to the same final state', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '1' });
    await f.control.seed({ ...SIZE, subscriptions: { active: 200, canceled: 50 } });
    await f.control.addFault({ method: 'GET', path: '^/v1/subscriptions$', status: 429, after: 1, times: 3 });
    await f.control.resetCounters();
    const neon = neonControl(f.env);
    const outcomes: Array<Record<string, any>> = [];

    for (let i = 0; i < 3; i++) outcomes.push((await tick(f.env))[0]!);
    expect(outcomes.map((o) => o.outcome)).toEqual(['running', 'running', 'running']);
    const cursorBefore = (await latestRun(f.env)).cursor;

    // The database goes down while the next page is being listed: its write fails.
    await f.control.addFault({
      method: 'GET',
      path: '^/v1/(products|prices|customers)$',
      latency_ms: 1500,
      times: 1,
    });
    const during = tick(f.env);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await neon.outage(true);
    const [down] = await during;
    await neon.outage(false);
    expect(down).toMatchObject({ outcome: 'failed' });
    // Nothing of that slice was saved; the lease it could not give back would expire within a
    // minute on its own (released here to keep the test short).
    expect((await latestRun(f.env)).cursor).toEqual(cursorBefore);
    await sqlFor(f.env).query('update paywire.sync_leases set lease_until = now()');

    for (let i = 0; i < 30 && outcomes.at(-1)?.outcome !== 'completed'; i++)
      outcomes.push((await tick(f.env))[0]!);
    const kinds = outcomes.map((o) => o.outcome);
    expect(kinds.at(-1)).toBe('completed');
    // Three slices failed on the 429s (retried from the cursor on the next tick).
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    expect(failed).toHaveLength(3);
    for (const o of failed) expect(o.error).toMatch(/^Stripe: /);
    // One page per tick: 2 + 3 + 2 + 3 pages, plus the three failed ticks.
    expect(outcomes.length).toBe(10 + 3);

    await expectEqualToEmulator(f.env, f.control);
    const run = await latestRun(f.env);
    expect(run).toMatchObject({ status: 'completed', error: null });
    for (const [resource, n] of Object.entries(SIZE))
      expect(run.counts.resources[resource], resource).toMatchObject({
        seen: n,
        inserted: n,
        updated: 0,
        unchanged: 0,
        pages: Math.ceil(n / 100),
      });
    expect(run.counts.slices).toBeGreaterThanOrEqual(13);
    // ⌈N/100⌉ list calls per resource across 10 budget cuts: no page is listed twice, except
    // the prices page whose write the outage rolled back (+1) and the three 429 answers (+3:
    // with a spent budget a 429 is not retried in the slice, the next tick retries it).
    const { list_calls } = await f.control.counters();
    expect(list_calls).toMatchObject({ products: 2, prices: 3 + 1, customers: 2, subscriptions: 3 + 3 });
    const listed = ['products', 'prices', 'customers', 'subscriptions'].reduce(
      (n, r) => n + list_calls[r]!,
      0,
    );
    // Every call is in the run's counts except the one of the outage slice, whose state could
    // not be saved (the database was down).
    expect(run.counts.stripeCalls).toBe(listed - 1);
  }, 180_000);

  it('a chunk write that commits but loses its answer keeps the committed cursor and counts: no page is listed twice, none counted twice or lost', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '1' });
    const size = { products: 250, prices: 50, customers: 50, subscriptions: 50 };
    await f.control.seed(size);
    await f.control.resetCounters();
    const neon = neonControl(f.env);
    expect((await tick(f.env))[0]).toMatchObject({ outcome: 'running' });

    // Products page 2 is slow; meanwhile the next batch (its chunk write) is armed to commit
    // and lose its response, so the slice fails not knowing whether it was written.
    await f.control.addFault({ method: 'GET', path: '^/v1/products$', latency_ms: 1500, times: 1 });
    const during = tick(f.env);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const fault = await neon.loseBatchResponses(1);
    const [lost] = await during;
    expect(lost).toMatchObject({ outcome: 'failed' });
    expect(await neon.lostResponse(fault)).toEqual({ remaining: 0, hits: 1 });
    const afterLoss = await latestRun(f.env);
    expect(afterLoss.status).toBe('failed');
    expect(afterLoss.cursor).toMatchObject({ resource: 0, page: 2, failures: 1 });
    expect(afterLoss.counts.resources.products).toMatchObject({ seen: 200, pages: 2 });

    for (let i = 0; i < 20 && (await latestRun(f.env)).status !== 'completed'; i++) await tick(f.env);
    await expectEqualToEmulator(f.env, f.control);
    const run = await latestRun(f.env);
    expect(run.status).toBe('completed');
    for (const [resource, n] of Object.entries(size))
      expect(run.counts.resources[resource], resource).toMatchObject({ seen: n, pages: Math.ceil(n / 100) });
    const { list_calls } = await f.control.counters();
    expect(list_calls).toMatchObject({ products: 3, prices: 1, customers: 1, subscriptions: 1 });
  }, 120_000);
});

describe('connecting a different Stripe account', () => {
  it('cancels a failed run too (it would resume against the new account) and drops the ids runs had seen', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '1' });
    await f.control.seed({ products: 150, prices: 10, customers: 10, subscriptions: 10 });
    await f.control.addFault({ method: 'GET', path: '^/v1/products$', status: 429, after: 1, times: 1 });
    expect((await tick(f.env))[0]).toMatchObject({ outcome: 'running' });
    expect((await tick(f.env))[0]).toMatchObject({ outcome: 'failed' });
    const sql = sqlFor(f.env);
    const old = await latestRun(f.env);
    expect(old.status).toBe('failed');
    const seen = async () =>
      (
        (await sql.query(
          "select count(*)::int as n from paywire.sync_seen where environment = 'test'",
        )) as Array<{
          n: number;
        }>
      )[0]!.n;
    expect(await seen()).toBe(100);

    const other = await emulatorAccount(isolatedEnv(), 'sync test, other account');
    await other.control.seed({ products: 3, prices: 3, customers: 2, subscriptions: 2 });
    const res = await call(f.env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: other.key },
    });
    expect(res.status, res.text).toBe(200);
    const [canceled] = (await sql.query('select status, error from paywire.sync_runs where id = $1', [
      old.id,
    ])) as Array<Record<string, unknown>>;
    expect(canceled).toEqual({ status: 'canceled', error: 'account changed' });
    expect(await seen()).toBe(0);

    // A slice that outlived the cancel could still write seen ids of its run: the next slice's
    // end drops ids of runs that will never sweep.
    await sql.query(
      "insert into paywire.sync_seen (environment, run_id, resource, stripe_id) values ('test', $1, 'products', 'prod_late')",
      [old.id],
    );
    for (let i = 0; i < 10 && (await latestRun(f.env)).status !== 'completed'; i++) await tick(f.env);
    const run = await latestRun(f.env);
    expect(run.id).not.toBe(old.id);
    expect(run.status).toBe('completed');
    await expectEqualToEmulator(f.env, other.control);
    expect(await seen()).toBe(0);
  }, 120_000);
});
