/**
 * The webhook corpus of the head-to-head benchmark (bench/compare): signed, real-shaped Stripe
 * events built from the generators in test/shared (which start from Stripe's own example objects,
 * test/fixtures/stripe-objects.json).
 *
 * - Every projected family: products and prices (created, edited, archived, deleted), customers
 *   (created, updated), subscriptions with their items (created, renewed, past due and recovered,
 *   canceled), invoices, payment intents, charges and refunds, checkout sessions (subscription and
 *   one-time payment).
 * - Updates hit rows created earlier in the corpus; many events share a second (every lifecycle
 *   starts within the same minute, and each lifecycle's own steps share seconds).
 * - Lifecycles are interleaved (16 open at a time, picked by a seeded PRNG) and each keeps its
 *   own order, so the in-order delivery is a history Stripe could have sent, and 8 concurrent
 *   deliveries mostly touch different objects, as a real account's traffic does.
 * - Ids are fresh per seed and deterministic: every id the generators made up is renamed to
 *   `<prefix>_b<seed>x<counter>` in order of first appearance (so event ids still ascend in
 *   history order, which the documented same-second tie-break relies on). Ids inside Stripe's
 *   example objects that no generator overrides (e.g. a subscription price's product) are kept,
 *   and shared, as they are.
 */
import { createHmac } from 'node:crypto';
import { catalogLifecycle, paymentLifecycle, subscriptionLifecycle } from '../test/shared/lifecycles.ts';
import { event, type Obj, type TestEvent } from '../test/shared/stripe-events.ts';

export type CorpusEvent = TestEvent;

export interface CorpusOptions {
  /** number of events (default 5000) */
  events?: number;
  /** PRNG seed: the same seed gives the same corpus (default 1) */
  seed?: number;
}

const T0 = 1_790_000_000;
const OPEN_LIFECYCLES = 16;

/** mulberry32: small, fast, good enough to pick lifecycles. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A customer.updated (new email, one minute later) right after the lifecycle's customer.created. */
function withCustomerUpdate(events: TestEvent[], n: number): TestEvent[] {
  const i = events.findIndex((e) => e.type === 'customer.created');
  if (i < 0) return events;
  const created = events[i]!;
  const customer = created.data.object as Obj;
  const updated = event(
    'customer.updated',
    { ...customer, email: `buyer+${n}@example.com` },
    { created: created.created + 60, previous: { email: customer.email } },
  );
  return [...events.slice(0, i + 1), updated, ...events.slice(i + 1)];
}

function lifecycle(random: () => number, n: number): TestEvent[] {
  const t0 = T0 + Math.floor(random() * 60);
  const kind = random();
  if (kind < 0.45) {
    const cancel = (['none', 'at_period_end', 'immediately'] as const)[Math.floor(random() * 3)]!;
    const events = subscriptionLifecycle(
      {
        renewals: Math.floor(random() * 4),
        pastDueThenRecover: random() < 0.4,
        cancel,
        trialDays: random() < 0.3 ? 14 : 0,
      },
      t0,
    );
    return random() < 0.3 ? withCustomerUpdate(events, n) : events;
  }
  if (kind < 0.75) {
    const amount = 1000 + 500 * Math.floor(random() * 20);
    const refunds = random() < 0.5 ? [] : random() < 0.5 ? [amount] : [Math.floor(amount / 4), amount];
    const events = paymentLifecycle({ amount, refunds }, t0);
    return random() < 0.3 ? withCustomerUpdate(events, n) : events;
  }
  return catalogLifecycle(
    { edits: 1 + Math.floor(random() * 4), archivePrice: random() < 0.5, deleteProduct: random() < 0.2 },
    t0,
  );
}

/** Ids made by test/shared's uniqueId: prefix, then ≥ 14 lowercase base-36 characters. */
const GENERATED_ID = /\b(evt|prod|price|cus|cs_test|sub|si|in|pi|ch|re|team|user)_[0-9a-z]{14,}\b/g;

/** Renames generated ids deterministically, in order of first appearance (see the header). */
function renameIds(events: TestEvent[], seed: number): TestEvent[] {
  const names = new Map<string, string>();
  const tag = `b${seed.toString(36)}x`;
  const text = JSON.stringify(events).replace(GENERATED_ID, (id, prefix: string) => {
    let name = names.get(id);
    if (!name) {
      name = `${prefix}_${tag}${names.size.toString(36).padStart(7, '0')}`;
      names.set(id, name);
    }
    return name;
  });
  return JSON.parse(text) as TestEvent[];
}

/** `events` Stripe events in delivery order (plain JSON objects; see the header). */
export function buildCorpus(opts: CorpusOptions = {}): CorpusEvent[] {
  const total = opts.events ?? 5000;
  const seed = opts.seed ?? 1;
  const random = prng(seed);
  let started = 0;
  const open: TestEvent[][] = [];
  const out: TestEvent[] = [];
  while (out.length < total) {
    while (open.length < OPEN_LIFECYCLES) open.push(lifecycle(random, started++));
    const i = Math.floor(random() * open.length);
    const stream = open[i]!;
    out.push(stream.shift()!);
    if (stream.length === 0) open.splice(i, 1);
  }
  return renameIds(out, seed);
}

/** How many events of each type (for the report). */
export function corpusTypes(events: CorpusEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The Stripe-Signature header for `body` as Stripe computes it: `t=<timestamp>,v1=<hex HMAC-SHA256
 * of "<timestamp>.<body>" keyed with the whole whsec_… secret>` (what
 * Stripe.webhooks.generateTestHeaderString produces). `timestamp` in Unix seconds, default now.
 */
export function signPayload(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
