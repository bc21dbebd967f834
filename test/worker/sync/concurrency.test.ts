/**
 * Concurrency of the sync: two overlapping `scheduled` invocations (one syncs, one skips on
 * the lease), and a sync racing webhooks that carry newer states than the pages it read (no
 * row is rolled back). Overlap is only real on Postgres (the PGlite endpoint runs one request
 * at a time), so the lease test is skipped on PGlite; the race runs on both.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import worker from '../../../src/index';
import { setLogSink } from '../../../src/logger';
import { relay } from '../support/emulator';
import { call, sqlFor } from '../support/worker';
import { expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

const postgres = inject('backend') === 'postgres';

describe('sync concurrency', () => {
  it.skipIf(!postgres)(
    'two overlapping scheduled invocations: one syncs, one skips (Postgres only)',
    async () => {
      const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '600000' });
      await f.control.seed({ products: 150, prices: 150, customers: 50, subscriptions: 50 });
      // The first list call is slow, so the invocations surely overlap.
      await f.control.addFault({ method: 'GET', path: '^/v1/products$', latency_ms: 1000, times: 1 });
      await f.control.resetCounters();
      const lines: string[] = [];
      const previous = setLogSink((line) => lines.push(line));
      try {
        const invoke = async () => {
          const ctx = createExecutionContext();
          await worker.scheduled(
            createScheduledController({ scheduledTime: Date.now() }),
            { ...f.env, LOG_LEVEL: 'info' },
            ctx,
          );
          await waitOnExecutionContext(ctx);
        };
        await Promise.all([invoke(), invoke()]);
      } finally {
        setLogSink(previous);
      }
      const outcomes = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.message === 'sync tick')
        .map((l) => l.outcomes[0].outcome)
        .sort();
      expect(outcomes).toEqual(['completed', 'skipped_leased']);
      const run = await latestRun(f.env);
      expect(run.counts.slices).toBe(1);
      expect((await f.control.counters()).list_calls.products).toBe(2);
      await expectEqualToEmulator(f.env, f.control);
    },
    120_000,
  );

  it('a sync racing webhooks never rolls a row back', async () => {
    const f = await syncFixture({ SYNC_SLICE_BUDGET_MS: '600000' });
    await f.control.seed({ products: 5, prices: 5, customers: 10, subscriptions: { active: 250 } });
    expect(
      (await call(f.env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true, body: {} })).status,
    ).toBe(200);
    const firstPage = (await f.stripe.subscriptions.list({ status: 'all', limit: 100 })).data.slice(0, 5);
    // Pages 1 and 2 of subscriptions are read at once; page 3 takes 6 s, and meanwhile the
    // first page's subscriptions change in Stripe and their webhooks land.
    await f.control.addFault({
      method: 'GET',
      path: '^/v1/subscriptions$',
      latency_ms: 6000,
      after: 2,
      times: 1,
    });
    await f.control.resetCounters();
    const sync = tick(f.env);
    for (let i = 0; i < 100 && ((await f.control.counters()).list_calls.subscriptions ?? 0) < 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    for (const s of firstPage) await f.stripe.subscriptions.update(s.id, { cancel_at_period_end: true });
    await f.stripe.subscriptions.cancel(firstPage[0]!.id);
    const delivered = await relay(f.env, f.control);
    expect(delivered.filter((d) => d.outcome === 'processed').length).toBeGreaterThanOrEqual(6);
    const [outcome] = await sync;
    expect(outcome).toMatchObject({ outcome: 'completed' });

    const rows = (await sqlFor(f.env).query(
      'select stripe_subscription_id as id, status, cancel_at_period_end as cape from paywire.subscriptions where stripe_subscription_id = any($1)',
      [firstPage.map((s) => s.id)],
    )) as Array<{ id: string; status: string; cape: boolean }>;
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.cape, row.id).toBe(true);
      expect(row.status).toBe(row.id === firstPage[0]!.id ? 'canceled' : 'active');
    }
    // The webhooks landed before the sync wrote its pages: it inserted the other 245 rows and
    // left those 5 alone (its read was older than their events).
    expect((await latestRun(f.env)).counts.resources.subscriptions).toMatchObject({
      seen: 250,
      inserted: 245,
      unchanged: 5,
    });
    await expectEqualToEmulator(f.env, f.control);
  }, 120_000);
});
