/**
 * Order independence: for generated lifecycles, any shuffle of the deliveries with duplicates
 * converges to the same rows as in-order delivery.
 *
 * Each run replays the same history twice into one database under two id namespaces (every
 * Stripe id rewritten with a variant tag): A in order, B shuffled with duplicates. The
 * projection of A and B, with the tag stripped and bookkeeping columns dropped, must be equal.
 * Events go through the same ingestEvent as the webhook route (signature checks are covered
 * elsewhere); each is one Neon HTTP round trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingestEvent } from '../../../src/services/webhooks/ingest-event';
import { catalogLifecycle, paymentLifecycle, subscriptionLifecycle } from '../../shared/lifecycles';
import type { TestEvent } from '../../shared/stripe-events';
import { serviceContextFor } from '../support/service-context';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();
const ctx = serviceContextFor(env);
const sql = sqlFor(env);
const RUNS = Number(process.env.PAYWIRE_PROPERTY_RUNS ?? 0) || 200;

/** Rewrites every generated id (prefix_…, also inside values like client_reference_id) with a variant tag. */
function namespaced(events: TestEvent[], tag: string): TestEvent[] {
  const json = JSON.stringify(events).replace(
    /\b((?:evt|prod|price|cus|cs_test|sub|si|in|pi|ch|re|team|user)_[A-Za-z0-9]{6,})/g,
    `$1${tag}`,
  );
  return JSON.parse(json) as TestEvent[];
}

const IGNORED_COLUMNS = new Set(['id', 'created_at', 'updated_at']);

/** The projection rows touched by a variant, tag removed, sorted for comparison. */
async function snapshot(tag: string): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    products: 'stripe_product_id',
    prices: 'stripe_price_id',
    customers: 'stripe_customer_id',
    customer_mappings: 'stripe_customer_id',
    checkout_sessions: 'stripe_checkout_session_id',
    subscriptions: 'stripe_subscription_id',
    subscription_items: 'stripe_subscription_item_id',
    payment_history: 'stripe_object_id',
  };
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(tables)) {
    const rows = (await sql.query(
      `select * from paywire.${table} where strpos(${key}, $1) > 0 order by ${key}`,
      [tag],
    )) as Record<string, unknown>[];
    out[table] = rows.map((row) => {
      const clean: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) {
        if (IGNORED_COLUMNS.has(k)) continue;
        clean[k] = JSON.parse(JSON.stringify(v ?? null).replaceAll(tag, ''));
      }
      return clean;
    });
  }
  return out;
}

async function deliver(events: TestEvent[]) {
  for (const e of events) {
    const result = await ingestEvent(ctx, { environment: 'test', event: e });
    expect(['processed', 'duplicate']).toContain(result.status);
  }
}

const lifecycle = fc.oneof(
  fc
    .record({
      renewals: fc.integer({ min: 0, max: 3 }),
      pastDueThenRecover: fc.boolean(),
      cancel: fc.constantFrom('none' as const, 'at_period_end' as const, 'immediately' as const),
      trialDays: fc.constantFrom(0, 0, 14),
    })
    .map((o) => subscriptionLifecycle(o)),
  fc
    .record({
      amount: fc.integer({ min: 500, max: 10_000 }),
      refunds: fc.array(fc.integer({ min: 100, max: 3000 }), { maxLength: 3 }),
    })
    .map((o) => paymentLifecycle(o)),
  fc
    .record({
      edits: fc.integer({ min: 0, max: 4 }),
      archivePrice: fc.boolean(),
      deleteProduct: fc.boolean(),
    })
    .map((o) => catalogLifecycle(o)),
);

let runId = 0;
describe('projection converges whatever the delivery order', () => {
  it(`shuffled deliveries with duplicates end in the same rows as in-order delivery (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        lifecycle.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            fc.array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 6 }),
          ),
        ),
        async ([events, shuffled, duplicateAt]) => {
          runId += 1;
          // underscores never occur inside generated ids, so a tag cannot match by accident
          const a = `__r${runId}a`;
          const b = `__r${runId}b`;
          const withDuplicates = [...shuffled];
          for (const i of duplicateAt) withDuplicates.splice(i, 0, shuffled[i]!);
          await deliver(namespaced(events, a));
          await deliver(namespaced(withDuplicates, b));
          expect(await snapshot(b)).toEqual(await snapshot(a));
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.PAYWIRE_PROPERTY_SEED ?? Date.now() % 2_147_483_647) },
    );
  }, 600_000);
});
