/**
 * Order independence: for generated histories, any shuffle of the deliveries, with late
 * redeliveries, ends in the rows the history calls for.
 *
 * Each run replays the same history twice into one database under two id namespaces (every
 * Stripe id rewritten with a variant tag): A in order, B shuffled with redeliveries inserted
 * anywhere after their first delivery (late ones included). Both must end in the rows the
 * generator expects (test/shared/lifecycles.ts: the state each object was left in, and the
 * event-id tie-break where a second holds two versions the object cannot order); B must also
 * equal A column for column (tag stripped, bookkeeping columns dropped).
 *
 * Event ids are random (generated here), as real ones are: they do not sort in history order,
 * so same-second tie-breaks really decide something. Events go through the same ingestEvent as
 * the webhook route (signature checks are covered elsewhere); each is one Neon HTTP round trip.
 *
 * Replaying a failure: the error names PAYWIRE_PROPERTY_SEED and PAYWIRE_PROPERTY_PATH; set
 * them (and the project) on the command line — vitest.config.ts hands them to this test with
 * provide/inject, since host env vars do not reach the workers pool. The replay runs that one
 * case and shrinks it; PAYWIRE_PROPERTY_RUNS sets the number of runs.
 */
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { ingestEvent } from '../../../src/services/webhooks/ingest-event';
import {
  catalogHistory,
  type ExpectedRows,
  type History,
  type ProjectedTable,
  paymentHistory,
  subscriptionHistory,
} from '../../shared/lifecycles';
import type { TestEvent } from '../../shared/stripe-events';
import { serviceContextFor } from '../support/service-context';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();
const ctx = serviceContextFor(env);
const sql = sqlFor(env);
const RUNS = inject('propertyRuns') || 200;
const SEED = inject('propertySeed');
const PATH = inject('propertyPath');

/** Rewrites every generated id (prefix_…, also inside values like client_reference_id) with a variant tag. */
function namespaced<T>(value: T, tag: string): T {
  const json = JSON.stringify(value).replace(
    /\b((?:evt|prod|price|cus|cs_test|sub|si|in|pi|ch|re|team|user)_[A-Za-z0-9]{6,})/g,
    `$1${tag}`,
  );
  return JSON.parse(json) as T;
}

const KEYS: Record<ProjectedTable, string> = {
  products: 'stripe_product_id',
  prices: 'stripe_price_id',
  customers: 'stripe_customer_id',
  customer_mappings: 'stripe_customer_id',
  checkout_sessions: 'stripe_checkout_session_id',
  subscriptions: 'stripe_subscription_id',
  subscription_items: 'stripe_subscription_item_id',
  payment_history: 'stripe_object_id',
};

/** How each expected column is read (times as Unix seconds, amounts as numbers, tombstones as a flag). */
const COLUMN_SQL: Record<string, string> = {
  deleted: 'deleted_at is not null',
  current_period_end: 'extract(epoch from current_period_end)::bigint::int',
  amount: 'amount::int',
  amount_refunded: 'amount_refunded::int',
  unit_amount: 'unit_amount::int',
};

/** A variant's rows with the columns the generator states, keyed like ExpectedRows. */
async function stated(tag: string, expected: ExpectedRows): Promise<ExpectedRows> {
  const out: ExpectedRows = {};
  for (const table of Object.keys(KEYS) as ProjectedTable[]) {
    const columns = Object.keys(Object.values(expected[table] ?? {})[0] ?? {});
    const select = columns.map((c) => `${COLUMN_SQL[c] ?? c} as "${c}"`);
    const rows = (await sql.query(
      `select ${[`${KEYS[table]} as "key"`, ...select].join(', ')} from paywire.${table} where strpos(${KEYS[table]}, $1) > 0`,
      [tag],
    )) as Array<Record<string, unknown>>;
    if (rows.length === 0 && !expected[table]) continue;
    const byKey: Record<string, Record<string, unknown>> = {};
    for (const { key, ...row } of rows) byKey[key as string] = row;
    out[table] = byKey;
  }
  return out;
}

const IGNORED_COLUMNS = new Set(['id', 'created_at', 'updated_at']);

/** Every column of the projection rows touched by a variant, tag removed, sorted for comparison. */
async function snapshot(tag: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(KEYS)) {
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

/** Delivers in order; returns how many deliveries were processed and how many were duplicates. */
async function deliver(events: TestEvent[]) {
  const tally = { processed: 0, duplicate: 0 };
  for (const e of events) {
    const result = await ingestEvent(ctx, { environment: 'test', event: e });
    expect(['processed', 'duplicate']).toContain(result.status);
    tally[result.status as 'processed' | 'duplicate']++;
  }
  return tally;
}

/** Real-looking random event ids (evt_ + 24 characters); lower case and digits sort the same under any collation. */
const eventIds = fc.uniqueArray(fc.stringMatching(/^[0-9a-z]{24}$/), { minLength: 40, maxLength: 40 });

const history: fc.Arbitrary<History> = fc
  .tuple(
    fc.oneof(
      fc
        .record({
          renewals: fc.integer({ min: 0, max: 3 }),
          pastDueThenRecover: fc.boolean(),
          cancel: fc.constantFrom('none' as const, 'at_period_end' as const, 'immediately' as const),
          trialDays: fc.constantFrom(0, 0, 14),
        })
        .map((o) => (ids: () => string) => subscriptionHistory(o, { eventId: ids })),
      fc
        .record({
          amount: fc.integer({ min: 500, max: 10_000 }),
          refunds: fc.array(fc.integer({ min: 100, max: 3000 }), { maxLength: 3 }),
        })
        .map((o) => (ids: () => string) => paymentHistory(o, { eventId: ids })),
      fc
        .record({
          edits: fc.integer({ min: 0, max: 4 }),
          archivePrice: fc.boolean(),
          deleteProduct: fc.boolean(),
        })
        .map((o) => (ids: () => string) => catalogHistory(o, { eventId: ids })),
    ),
    eventIds,
  )
  .map(([build, ids]) => {
    let next = 0;
    return build(() => `evt_${ids[next++]}`);
  });

/**
 * A delivery stream: the history shuffled, then redeliveries of chosen events inserted anywhere
 * after their first delivery, up to the very end (Stripe retries for days).
 */
const stream = history.chain((h) =>
  fc.record({
    history: fc.constant(h),
    shuffled: fc.shuffledSubarray(h.events, { minLength: h.events.length, maxLength: h.events.length }),
    redeliveries: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }),
  }),
);

function withRedeliveries(shuffled: TestEvent[], redeliveries: Array<[number, number]>): TestEvent[] {
  const out = [...shuffled];
  for (const [which, where] of redeliveries) {
    const e = shuffled[which % shuffled.length]!;
    const first = out.indexOf(e);
    out.splice(first + 1 + (where % (out.length - first)), 0, e);
  }
  return out;
}

let runId = 0;
describe('projection converges whatever the delivery order', () => {
  it(`shuffled deliveries with late redeliveries end in the rows the history calls for (${RUNS} runs)`, async () => {
    const seed = SEED ? Number(SEED) : Date.now() % 2_147_483_647;
    const details = await fc.check(
      fc.asyncProperty(stream, async ({ history: h, shuffled, redeliveries }) => {
        runId += 1;
        // underscores never occur inside generated ids, so a tag cannot match by accident
        const a = `__r${runId}a`;
        const b = `__r${runId}b`;
        const withDuplicates = withRedeliveries(shuffled, redeliveries);
        expect(await deliver(namespaced(h.events, a))).toEqual({ processed: h.events.length, duplicate: 0 });
        expect(await deliver(namespaced(withDuplicates, b))).toEqual({
          processed: h.events.length,
          duplicate: redeliveries.length,
        });
        expect(await stated(a, h.expected), 'in order').toEqual(namespaced(h.expected, a));
        expect(await stated(b, h.expected), 'shuffled, with redeliveries').toEqual(namespaced(h.expected, b));
        expect(await snapshot(b)).toEqual(await snapshot(a));
      }),
      // Shrinking replays hundreds of histories (minutes): a normal run stops at the first
      // failure and names it; replaying that one (PAYWIRE_PROPERTY_PATH) shrinks it.
      { numRuns: RUNS, seed, ...(PATH ? { path: PATH } : { endOnFailure: true }) },
    );
    if (details.failed) {
      const replay = `PAYWIRE_PROPERTY_SEED=${details.seed} PAYWIRE_PROPERTY_PATH=${details.counterexamplePath}`;
      throw new Error(
        `${fc.defaultReportMessage(details)}\n\nReplay${PATH ? '' : ' and shrink'}: ${replay} npx vitest run --project worker-${env.TEST_BACKEND} test/worker/webhooks/convergence.property.test.ts`,
        { cause: details.errorInstance },
      );
    }
  }, 600_000);
});
