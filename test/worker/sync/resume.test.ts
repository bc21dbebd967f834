/**
 * A pass that does not fit in one tick: a tiny slice budget cuts every tick after one list
 * page, Stripe answers 429 to a run of subscription pages, and the database goes down in the
 * middle of a slice (while a list call is in flight, so the chunk's write is what fails). The
 * run resumes from its saved cursor tick after tick and ends exactly as an uninterrupted pass:
 * rows equal to the emulator, every object counted once.
 */
import { describe, expect, it } from 'vitest';
import { neonControl } from '../support/neon';
import { sqlFor } from '../support/worker';
import { expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

const SIZE = { products: 150, prices: 250, customers: 150, subscriptions: 250 };

describe('resumable sync', () => {
  it('resumes through budget cuts, an injected 429 run and a database outage to the same final state', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '1' });
    await f.control.seed({ ...SIZE, subscriptions: { active: 200, canceled: 50 } });
    await f.control.addFault({ method: 'GET', path: '^/v1/subscriptions$', status: 429, after: 1, times: 3 });
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
      });
    expect(run.counts.slices).toBeGreaterThanOrEqual(13);
  }, 180_000);
});
