/**
 * A webhook endpoint pinned to an API version older than Paywire's: Stripe sends that version's
 * shapes (https://docs.stripe.com/webhooks/versioning). Before basil (2025-03-31) the billing
 * period is on the subscription and an invoice names its subscription and charge at the top
 * level (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
 * The emulator renders those shapes; the projection must land the same rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECTED_EVENT_TYPES } from '../../../src/services/projection';
import { emulatorAccount, relay } from '../support/emulator';
import { isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

const OLDER_VERSION = '2024-06-20';

let env: TestEnv;
let emulator: Awaited<ReturnType<typeof emulatorAccount>>;
const sql = () => sqlFor(env);

beforeAll(async () => {
  emulator = await emulatorAccount(isolatedEnv(), 'older api version');
  const endpoint = await emulator.stripe.webhookEndpoints.create({
    url: 'http://paywire.test/webhooks/stripe/test',
    enabled_events: [...PROJECTED_EVENT_TYPES] as never,
    api_version: OLDER_VERSION as never,
  });
  await emulator.control.setEndpointMode(endpoint.id, 'pull');
  env = { ...isolatedEnv(), STRIPE_WEBHOOK_SECRET_TEST: endpoint.secret! };
});

describe(`an endpoint pinned to ${OLDER_VERSION}`, () => {
  it('receives the old shapes, labelled with that version', async () => {
    const result = await emulator.control.trigger('checkout.subscription');
    const pulled = await emulator.control.drainPull(async () => 200);
    const created = pulled
      .map(
        (d) =>
          JSON.parse(d.body) as {
            type: string;
            api_version: string;
            data: { object: Record<string, unknown> };
          },
      )
      .find((e) => e.type === 'customer.subscription.created')!;
    expect(created.api_version).toBe(OLDER_VERSION);
    expect(created.data.object).toMatchObject({
      id: result.objects.subscription,
      current_period_end: expect.any(Number),
    });
  });

  it('projects subscription periods, items and invoices from the pre-basil fields', async () => {
    const product = await emulator.stripe.products.create({ name: 'Legacy plan' });
    const price = await emulator.stripe.prices.create({
      product: product.id,
      unit_amount: 2500,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const subject = { paywire_subject_type: 'team', paywire_subject_id: 'team_legacy' };
    const session = await emulator.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
      metadata: subject,
      subscription_data: { metadata: subject },
    });
    const completed = await emulator.control.completeCheckout(session.id);
    expect((await relay(env, emulator.control)).filter((d) => d.status !== 200)).toEqual([]);

    const subscriptionId = completed.subscription!;
    const current = await emulator.stripe.subscriptions.retrieve(subscriptionId);
    const periodEnd = current.items.data[0]!.current_period_end;
    const db = sql();
    const [s] =
      await db`select status, subject_id, current_period_start, current_period_end from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
    expect(s).toMatchObject({ status: 'active', subject_id: 'team_legacy' });
    expect(new Date(s!.current_period_end).getTime()).toBe(periodEnd * 1000);
    const items =
      await db`select current_period_end from paywire.subscription_items where stripe_subscription_id = ${subscriptionId} and deleted_at is null`;
    expect(items.map((i) => new Date(i.current_period_end).getTime())).toEqual([periodEnd * 1000]);
    const invoices =
      await db`select status, amount::int, stripe_charge_id, stripe_payment_intent_id from paywire.payment_history where kind = 'invoice' and stripe_subscription_id = ${subscriptionId}`;
    expect(invoices).toEqual([
      {
        status: 'paid',
        amount: 2500,
        stripe_charge_id: expect.stringMatching(/^ch_/),
        stripe_payment_intent_id: expect.stringMatching(/^pi_/),
      },
    ]);

    // A renewal moves the period: the old shape's subscription-level period follows.
    await emulator.control.advanceClock(32 * 86_400);
    expect((await relay(env, emulator.control)).filter((d) => d.status !== 200)).toEqual([]);
    const [renewed] =
      await db`select current_period_end from paywire.subscriptions where stripe_subscription_id = ${subscriptionId}`;
    expect(new Date(renewed!.current_period_end).getTime()).toBeGreaterThan(periodEnd * 1000);
  });

  it('projects refunds when the charge embeds them', async () => {
    const result = await emulator.control.trigger('refund.partial', { amount: 3000, refund_amount: 1000 });
    expect((await relay(env, emulator.control)).filter((d) => d.status !== 200)).toEqual([]);
    const pi = result.objects.payment_intent!;
    const [payment] =
      await sql()`select status, amount::int, amount_refunded::int from paywire.payment_history where stripe_object_id = ${pi}`;
    expect(payment).toEqual({ status: 'succeeded', amount: 3000, amount_refunded: 1000 });
  });
});
