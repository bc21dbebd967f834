/**
 * End to end through Stripe's shapes: objects created with the real `stripe` client on the
 * emulator, flows driven by its control API, every webhook signed by the emulator and relayed
 * to the Worker. Rows are asserted in Postgres.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buyTeamPlan, emulatorAccount, relay, withEmulatorEndpoint } from '../support/emulator';
import { countRowChanges, neonControl } from '../support/neon';
import { isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

let env: TestEnv;
let emulator: Awaited<ReturnType<typeof emulatorAccount>>;
const sql = () => sqlFor(env);

beforeAll(async () => {
  emulator = await emulatorAccount(isolatedEnv(), 'emulator flows');
  ({ env } = await withEmulatorEndpoint(isolatedEnv(), emulator));
});

const subscriptionCheckout = (subjectId: string) => buyTeamPlan(emulator, subjectId);

describe('subscription checkout → renewal → cancel, as the emulator sends it', () => {
  it('projects catalog, customer, mapping, session, subscription, items and payments', async () => {
    const { product, price, session, completed } = await subscriptionCheckout('team_e2e');
    const deliveries = await relay(env, emulator.control);
    expect(deliveries.length).toBeGreaterThan(8);
    expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);

    const db = sql();
    const [p] =
      await db`select name, active, metadata from paywire.products where stripe_product_id = ${product.id}`;
    expect(p).toMatchObject({ name: 'Team plan', active: true, metadata: { plan: 'team' } });
    const [pr] =
      await db`select unit_amount::int, recurring_interval from paywire.prices where stripe_price_id = ${price.id}`;
    expect(pr).toMatchObject({ unit_amount: 4900, recurring_interval: 'month' });

    const subscriptionId = completed.subscription!;
    const customerId = completed.customer!;
    const [m] =
      await db`select subject_type, subject_id from paywire.customer_mappings where stripe_customer_id = ${customerId}`;
    expect(m).toEqual({ subject_type: 'team', subject_id: 'team_e2e' });
    const [cs] =
      await db`select status, stripe_subscription_id, subject_id from paywire.checkout_sessions where stripe_checkout_session_id = ${session.id}`;
    expect(cs).toEqual({
      status: 'completed',
      stripe_subscription_id: subscriptionId,
      subject_id: 'team_e2e',
    });
    const [s] =
      await db`select status, subject_id, stripe_price_id, current_period_end from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
    expect(s).toMatchObject({ status: 'active', subject_id: 'team_e2e', stripe_price_id: price.id });
    const items =
      await db`select quantity, stripe_product_id from paywire.subscription_items where stripe_subscription_id = ${subscriptionId} and deleted_at is null`;
    expect(items).toEqual([{ quantity: 2, stripe_product_id: product.id }]);
    const invoices =
      await db`select status, amount::int, subject_id from paywire.payment_history where kind = 'invoice' and stripe_subscription_id = ${subscriptionId}`;
    expect(invoices).toEqual([{ status: 'paid', amount: 9800, subject_id: 'team_e2e' }]);

    // Next period: the emulator renews and pays; the projection follows.
    const firstPeriodEnd = new Date(s!.current_period_end).getTime();
    await emulator.control.advanceClock(32 * 86_400);
    expect((await relay(env, emulator.control)).filter((d) => d.status !== 200)).toEqual([]);
    const [renewed] =
      await db`select status, current_period_end from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
    expect(renewed!.status).toBe('active');
    expect(new Date(renewed!.current_period_end).getTime()).toBeGreaterThan(firstPeriodEnd);
    const paid =
      await db`select count(*)::int as n from paywire.payment_history where kind = 'invoice' and status = 'paid' and stripe_subscription_id = ${subscriptionId}`;
    expect(paid[0]!.n).toBe(2);

    await emulator.stripe.subscriptions.cancel(subscriptionId);
    await relay(env, emulator.control);
    const [canceled] =
      await db`select status, ended_at from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
    expect(canceled!.status).toBe('canceled');
    expect(canceled!.ended_at).not.toBeNull();
  });
});

describe('one-time payment and refunds', () => {
  it('payment, partial refund, full refund', async () => {
    const result = await emulator.control.trigger('refund.partial', { amount: 3000, refund_amount: 1000 });
    const pi = result.objects.payment_intent!;
    await relay(env, emulator.control);
    await emulator.stripe.refunds.create({ payment_intent: pi, amount: 2000 });
    expect((await relay(env, emulator.control)).filter((d) => d.status !== 200)).toEqual([]);
    const db = sql();
    const [payment] =
      await db`select status, amount::int, amount_refunded::int from paywire.payment_history where stripe_object_id = ${pi}`;
    expect(payment).toEqual({ status: 'succeeded', amount: 3000, amount_refunded: 3000 });
    const refunds =
      await db`select amount::int from paywire.payment_history where kind = 'refund' and stripe_payment_intent_id = ${pi} order by amount`;
    expect(refunds.map((r) => r.amount)).toEqual([1000, 2000]);
  });
});

describe('Stripe-like delivery faults', () => {
  it('duplicated and shuffled deliveries end in the same state', async () => {
    await emulator.control.setDeliveryMode({ duplicate: 1, shuffle: true, seed: 7 });
    try {
      const { completed } = await subscriptionCheckout('team_shuffled');
      const deliveries = await relay(env, emulator.control);
      expect(deliveries.every((d) => d.status === 200)).toBe(true);
      const subscriptionId = completed.subscription!;
      const [s] =
        await sql()`select status, subject_id from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
      expect(s).toEqual({ status: 'active', subject_id: 'team_shuffled' });
      const [cs] =
        await sql()`select status from paywire.checkout_sessions where stripe_subscription_id = ${subscriptionId}`;
      expect(cs!.status).toBe('completed');
    } finally {
      await emulator.control.setDeliveryMode({ duplicate: 0, shuffle: false });
    }
  });

  it('a delivery answered 503 during a database outage is retried by the emulator and lands', async () => {
    const neon = neonControl(env);
    const product = await emulator.stripe.products.create({ name: 'During outage' });
    await neon.outage(true);
    let first: Awaited<ReturnType<typeof relay>>;
    try {
      first = await relay(env, emulator.control);
    } finally {
      await neon.outage(false);
    }
    expect(first.map((d) => d.status)).toEqual([503]);
    expect(await sql()`select 1 from paywire.products where stripe_product_id = ${product.id}`).toHaveLength(
      0,
    );

    await emulator.control.retryNow();
    const second = await relay(env, emulator.control);
    expect(second).toEqual([{ type: 'product.created', status: 200, attempt: 2, outcome: 'processed' }]);
    expect(await sql()`select name from paywire.products where stripe_product_id = ${product.id}`).toEqual([
      { name: 'During outage' },
    ]);
  });

  it('a delivery whose batch committed but whose answer was lost: 503, then the retry is a duplicate applied once', async () => {
    const neon = neonControl(env);
    const changes = await countRowChanges(env, 'products', 'stripe_product_id');
    const product = await emulator.stripe.products.create({ name: 'Committed, answer lost' });
    const fault = await neon.loseBatchResponses(1);
    const first = await relay(env, emulator.control);
    expect(first).toEqual([{ type: 'product.created', status: 503, attempt: 1, outcome: null }]);
    expect(await neon.lostResponse(fault)).toEqual({ remaining: 0, hits: 1 });
    expect(await changes(product.id)).toEqual(['INSERT']);

    await emulator.control.retryNow();
    const second = await relay(env, emulator.control);
    expect(second).toEqual([{ type: 'product.created', status: 200, attempt: 2, outcome: 'duplicate' }]);
    expect(await changes(product.id)).toEqual(['INSERT']);
    expect(
      await sql()`select e.processing_status, e.attempts from paywire.webhook_events e
        where e.object_id = ${product.id}`,
    ).toEqual([{ processing_status: 'processed', attempts: 1 }]);
  });
});
