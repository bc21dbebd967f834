/**
 * Duplicate deliveries racing each other. The database decides (unique event id, guarded
 * upserts): one event row, and the projection takes effect once.
 * On PGlite the local endpoint serializes requests, so the race is only real on Postgres
 * (worker-postgres project, TEST_DATABASE_URL); the assertions hold on both.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { event, objects, uniqueId, withItems } from '../../shared/stripe-events';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = withWebhookSecrets(isolatedEnv());
const sql = sqlFor(env);

beforeAll(async () => {
  // Counts every row change the projection makes to products, like an app's fulfillment trigger would see.
  await sql`create table public.product_changes (stripe_product_id text, op text)`;
  await sql`create function public.count_product_change() returns trigger language plpgsql as $$
    begin insert into public.product_changes values (new.stripe_product_id, tg_op); return null; end $$`;
  await sql`create trigger count_changes after insert or update on paywire.products
    for each row execute function public.count_product_change()`;
});

describe(`50 concurrent deliveries of one event (${env.TEST_BACKEND})`, () => {
  it('record one event row and apply the projection once', async () => {
    const product = objects.product({ name: 'Raced', updated: 1_790_000_000 });
    const e = event('product.created', product, { created: 1_790_000_000 });
    const results = await Promise.all(Array.from({ length: 50 }, () => postEvent(env, e)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const statuses = results.map((r) => (r.json as { status: string }).status);
    expect(statuses.filter((s) => s === 'processed')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(49);

    const events =
      await sql`select processing_status, attempts from paywire.webhook_events where stripe_event_id = ${e.id}`;
    expect(events).toEqual([{ processing_status: 'processed', attempts: 1 }]);
    const changes = await sql`select op from public.product_changes where stripe_product_id = ${product.id}`;
    expect(changes).toEqual([{ op: 'INSERT' }]);
  });

  it('concurrent deliveries of different events for one object converge to the newest', async () => {
    const product = objects.product({ name: 'v0', updated: 1_790_000_000 });
    const versions = Array.from({ length: 20 }, (_, i) =>
      event(
        'product.updated',
        { ...product, name: `v${i}`, updated: 1_790_000_000 + i },
        { created: 1_790_000_000 + i },
      ),
    );
    const results = await Promise.all([...versions].reverse().map((e) => postEvent(env, e)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const [row] = await sql`select name from paywire.products where stripe_product_id = ${product.id}`;
    expect(row!.name).toBe('v19');
  });
});

/**
 * Values copied from ANOTHER row (migration 0017's advisory locks): a refund's customer from its
 * payment, a subscription's subject from its customer's mapping. Both events of a pair race;
 * without the locks, READ COMMITTED let each miss the other's uncommitted row (the head-to-head
 * benchmark left a refund without its customer at concurrency 8). Real only on Postgres.
 */
describe(`derived values under concurrent deliveries (${env.TEST_BACKEND})`, () => {
  const PAIRS = 40;
  const t = 1_790_100_000;

  /** A succeeded payment of `customer` and a refund of it that names no customer. */
  function paymentWithRefund(customer: string) {
    const pi = objects.paymentIntent({
      customer,
      amount: 5000,
      currency: 'usd',
      status: 'succeeded',
      created: t,
    });
    const refund = objects.refund({
      payment_intent: pi.id,
      charge: 'ch_x',
      customer: null,
      amount: 1000,
      currency: 'usd',
      status: 'succeeded',
      created: t,
    });
    return { pi, refund };
  }

  it('a refund racing its payment gets the payment’s customer', async () => {
    const pairs = Array.from({ length: PAIRS }, () => {
      const customer = objects.customer().id as string;
      const { pi, refund } = paymentWithRefund(customer);
      return { customer, pi, refund };
    });
    const deliveries = pairs.flatMap(({ pi, refund }) => [
      event('payment_intent.succeeded', pi, { created: t }),
      event('refund.created', refund, { created: t }),
    ]);
    const results = await Promise.all(deliveries.map((e) => postEvent(env, e)));
    expect(results.map((r) => r.status)).toEqual(Array(deliveries.length).fill(200));
    const rows = await sql`select stripe_object_id, stripe_customer_id from paywire.payment_history
      where kind = 'refund' and stripe_object_id = any(${pairs.map((p) => p.refund.id as string)})`;
    const expected = Object.fromEntries(pairs.map((p) => [p.refund.id as string, p.customer]));
    expect(Object.fromEntries(rows.map((r) => [r.stripe_object_id, r.stripe_customer_id]))).toEqual(expected);
  });

  it('payment, refund without customer and the customer’s mapping, all racing: no deadlock, customer and subject on every row', async () => {
    const triples = Array.from({ length: PAIRS }, (_, i) => {
      const subject = `org_${uniqueId('o')}_${i}`;
      const customer = objects.customer({
        metadata: { paywire_subject_type: 'org', paywire_subject_id: subject },
        created: t,
      });
      const { pi, refund } = paymentWithRefund(customer.id as string);
      return { subject, customer, pi, refund };
    });
    const deliveries = triples.flatMap(({ customer, pi, refund }) => [
      event('refund.created', refund, { created: t }),
      event('payment_intent.succeeded', pi, { created: t }),
      event('customer.created', customer, { created: t }),
    ]);
    const results = await Promise.all(deliveries.map((e) => postEvent(env, e)));
    expect(results.map((r) => r.status)).toEqual(Array(deliveries.length).fill(200));
    const rows =
      await sql`select stripe_object_id, stripe_customer_id, subject_id from paywire.payment_history
      where stripe_object_id = any(${triples.flatMap((x) => [x.pi.id as string, x.refund.id as string])})`;
    const expected = Object.fromEntries(
      triples.flatMap((x) => [
        [x.pi.id as string, `${x.customer.id}/${x.subject}`],
        [x.refund.id as string, `${x.customer.id}/${x.subject}`],
      ]),
    );
    expect(
      Object.fromEntries(rows.map((r) => [r.stripe_object_id, `${r.stripe_customer_id}/${r.subject_id}`])),
    ).toEqual(expected);
  });

  it('a subscription racing its customer’s mapping gets the subject', async () => {
    const pairs = Array.from({ length: PAIRS }, (_, i) => {
      const subject = `team_${uniqueId('t')}_${i}`;
      const customer = objects.customer({
        metadata: { paywire_subject_type: 'team', paywire_subject_id: subject },
        created: t,
      });
      const subscription = objects.subscription({ customer: customer.id, status: 'active', created: t });
      return { subject, customer, subscription };
    });
    const deliveries = pairs.flatMap(({ customer, subscription }) => [
      event('customer.created', customer, { created: t }),
      event('customer.subscription.created', withItems(subscription, []), { created: t }),
    ]);
    const results = await Promise.all(deliveries.map((e) => postEvent(env, e)));
    expect(results.map((r) => r.status)).toEqual(Array(deliveries.length).fill(200));
    const rows = await sql`select stripe_subscription_id, subject_id from paywire.subscriptions
      where stripe_subscription_id = any(${pairs.map((p) => p.subscription.id as string)})`;
    const expected = Object.fromEntries(pairs.map((p) => [p.subscription.id as string, p.subject]));
    expect(Object.fromEntries(rows.map((r) => [r.stripe_subscription_id, r.subject_id]))).toEqual(expected);
  });
});
