/**
 * Taking a payment end to end, through the Worker: a signed-in user asks for a Checkout session
 * (POST /v1/:env/checkout-sessions), pays on the emulator's hosted page or through its complete
 * control, the emulator's signed webhooks are delivered to the Worker, and the subject's rows
 * (mapping, checkout row, subscription with its plan, payment history) and /me/* show the result.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import {
  checkoutBody,
  freshUser,
  projectedPrice,
  type RuntimeStack,
  relayAll,
  runtimeStack,
} from '../support/runtime-stack';
import { call, sqlFor } from '../support/worker';

let stack: RuntimeStack;
let credits: string;
let pro: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('take a payment');
  credits = (await projectedPrice(stack, { plan: 'credits', unitAmount: 2000 })).price.id;
  pro = (await projectedPrice(stack, { recurring: true, plan: 'pro', lookupKey: 'tap_pro_monthly' })).price
    .id;
});

async function asUser(user: string, method: string, path: string, body?: unknown) {
  return call(stack.env, method, path, { headers: await userHeaders(user), ...(body ? { body } : {}) });
}

/** Pays on the hosted page like a browser: the form post answers 303 to the success URL. */
async function payOnHostedPage(url: string, form: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ email: 'buyer@example.com', name: 'Buyer', card: 'card_ok', ...form }),
    redirect: 'manual',
  });
  expect(res.status, await res.clone().text()).toBe(303);
  return res.headers.get('location');
}

describe('take a payment through the Worker', () => {
  it('one-time: checkout → hosted page → signed webhooks → mapping, completed row, payment, /me/payments', async () => {
    const user = freshUser('buyer');
    const created = await asUser(user, 'POST', '/v1/test/checkout-sessions', checkoutBody(credits));
    expect(created.status, created.text).toBe(201);
    const { id, url, stripeCheckoutSessionId } = created.json;

    const location = await payOnHostedPage(url);
    expect(location).toBe('https://app.example/billing/success');
    const deliveries = await relayAll(stack);
    expect(deliveries.map((d) => d.type)).toContain('checkout.session.completed');

    const [mapping] = await sql()`select stripe_customer_id from paywire.customer_mappings
      where environment = 'test' and subject_type = 'user' and subject_id = ${user}`;
    const [row] =
      await sql()`select *, amount_total::int as amount_total from paywire.checkout_sessions where id = ${id}`;
    expect(row).toMatchObject({
      status: 'completed',
      subject_type: 'user',
      subject_id: user,
      stripe_checkout_session_id: stripeCheckoutSessionId,
      stripe_customer_id: mapping!.stripe_customer_id,
      payment_status: 'paid',
      amount_total: 2000,
    });
    expect(row!.completed_at).not.toBeNull();
    const pi = (await stack.emulator.stripe.checkout.sessions.retrieve(stripeCheckoutSessionId))
      .payment_intent as string;
    expect((await stack.emulator.stripe.paymentIntents.retrieve(pi)).metadata).toMatchObject({
      paywire_checkout_id: id,
      paywire_subject_type: 'user',
      paywire_subject_id: user,
    });
    const payments =
      await sql()`select kind, stripe_object_id, amount::int as amount, status from paywire.payment_history
      where subject_type = 'user' and subject_id = ${user} order by kind`;
    expect(payments).toEqual(
      expect.arrayContaining([
        { kind: 'checkout_session', stripe_object_id: stripeCheckoutSessionId, amount: 2000, status: 'paid' },
      ]),
    );

    const mine = await asUser(user, 'GET', '/v1/test/me/payments');
    expect(mine.status).toBe(200);
    expect(mine.json.data.map((p: { id: string }) => p.id)).toContain(stripeCheckoutSessionId);
    expect(mine.json.data.every((p: { subject: { id: string } }) => p.subject.id === user)).toBe(true);
    // Another user sees none of it.
    expect((await asUser(freshUser('other'), 'GET', '/v1/test/me/payments')).json.data).toEqual([]);
  });

  it('subscription: checkout → complete control → webhooks → active subscription with plan, /me/* showing it', async () => {
    const user = freshUser('subscriber');
    const created = await asUser(
      user,
      'POST',
      '/v1/test/checkout-sessions',
      checkoutBody(pro, { mode: 'subscription' }),
    );
    expect(created.status, created.text).toBe(201);
    const { id, stripeCheckoutSessionId } = created.json;

    const completion = await stack.emulator.control.completeCheckout(stripeCheckoutSessionId);
    expect(completion.outcome).toBe('completed');
    await relayAll(stack);

    const [row] =
      await sql()`select status, stripe_subscription_id from paywire.checkout_sessions where id = ${id}`;
    expect(row).toEqual({ status: 'completed', stripe_subscription_id: completion.subscription });
    const [sub] = await sql()`select status, subject_type, subject_id, stripe_price_id, stripe_customer_id
      from paywire.subscriptions where stripe_subscription_id = ${completion.subscription}`;
    expect(sub).toEqual({
      status: 'active',
      subject_type: 'user',
      subject_id: user,
      stripe_price_id: pro,
      stripe_customer_id: completion.customer,
    });
    const [mapping] = await sql()`select stripe_customer_id from paywire.customer_mappings
      where subject_type = 'user' and subject_id = ${user}`;
    expect(mapping!.stripe_customer_id).toBe(completion.customer);
    const invoicePayments = await sql()`select amount::int as amount, status from paywire.payment_history
      where subject_id = ${user} and kind = 'invoice'`;
    expect(invoicePayments).toEqual([{ amount: 1500, status: 'paid' }]);

    const subs = await asUser(user, 'GET', '/v1/test/me/subscriptions');
    expect(subs.json.data).toEqual([
      expect.objectContaining({
        id: completion.subscription,
        status: 'active',
        subject: { type: 'user', id: user },
        price: pro,
        items: [expect.objectContaining({ price: pro, quantity: 1 })],
      }),
    ]);
    const entitlements = await asUser(user, 'GET', '/v1/test/me/entitlements');
    expect(entitlements.json.data).toEqual([
      expect.objectContaining({ plan: 'pro', status: 'active', subscription: completion.subscription }),
    ]);

    // Cancelled from the customer portal's hosted page: the webhooks take the plan away.
    const portal = await stack.emulator.stripe.billingPortal.sessions.create({
      customer: completion.customer!,
    });
    const cancel = await fetch(`${portal.url}/subscriptions/${completion.subscription}`, {
      method: 'POST',
      body: new URLSearchParams({ action: 'cancel_now' }),
      redirect: 'manual',
    });
    expect(cancel.status).toBe(303);
    await relayAll(stack);
    const [canceled] = await sql()`select status from paywire.subscriptions
      where stripe_subscription_id = ${completion.subscription}`;
    expect(canceled!.status).toBe('canceled');
    expect((await asUser(user, 'GET', '/v1/test/me/entitlements')).json.data).toEqual([]);
    expect((await asUser(user, 'GET', '/v1/test/me/subscriptions?status=canceled')).json.data).toHaveLength(
      1,
    );
  });

  it('a promotion code typed on the hosted page lowers what is charged and recorded', async () => {
    const { stripe } = stack.emulator;
    const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'once' });
    await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'TAPHALF' });
    const user = freshUser('promo');
    const created = await asUser(
      user,
      'POST',
      '/v1/test/checkout-sessions',
      checkoutBody(credits, { allowPromotionCodes: true }),
    );
    expect(created.status, created.text).toBe(201);
    await payOnHostedPage(created.json.url, { promotion_code: 'taphalf' });
    await relayAll(stack);
    const [row] =
      await sql()`select status, amount_total::int as amount_total from paywire.checkout_sessions where id = ${created.json.id}`;
    expect(row).toEqual({ status: 'completed', amount_total: 1000 });
    const mine = await asUser(user, 'GET', '/v1/test/me/payments?kind=checkout_session');
    expect(mine.json.data).toEqual([expect.objectContaining({ amount: 1000, status: 'paid' })]);
  });
});
