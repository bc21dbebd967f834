import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, startEmulator, startReceiver, waitFor } from './helpers';

// What Paywire's runtime checkout relies on: sessions for an existing customer, our metadata
// carried onto the subscription / payment intent, trials, and the customer portal's hosted
// page cancelling a subscription with the webhooks Stripe sends.

let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;
let receiver: Receiver;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator({ deliveryOrder: 'strict' });
  stripe = emu.client();
  control = emu.control();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await emu.close();
});

beforeEach(async () => {
  await control.reset();
  receiver.received.length = 0;
  const credits = await stripe.products.create({ name: 'Credits' });
  oneTime = await stripe.prices.create({ product: credits.id, currency: 'usd', unit_amount: 2000 });
  const pro = await stripe.products.create({ name: 'Pro', metadata: { plan: 'pro' } });
  monthly = await stripe.prices.create({
    product: pro.id,
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
  });
});

async function customer() {
  return stripe.customers.create({
    email: 'team@example.com',
    metadata: { paywire_subject_type: 'team', paywire_subject_id: 't_1' },
  });
}

describe('checkout for an existing customer', () => {
  it('subscription mode: the session names the customer, who is reused (no customer.created)', async () => {
    const cus = await customer();
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: cus.id,
      line_items: [{ price: monthly.id, quantity: 1 }],
      metadata: { paywire_checkout_id: 'chk_1' },
      subscription_data: { metadata: { paywire_checkout_id: 'chk_1', paywire_subject_id: 't_1' } },
      success_url: 'https://app.example.com/ok',
    });
    expect(session).toMatchObject({
      customer: cus.id,
      customer_email: null,
      customer_creation: null,
      customer_details: { email: 'team@example.com' },
    });
    const result = await control.completeCheckout(session.id);
    expect(result.customer).toBe(cus.id);
    expect(result.events.map((e) => e.type)).not.toContain('customer.created');
    expect((await stripe.customers.list()).data.map((c) => c.id)).toEqual([cus.id]);
    const sub = await stripe.subscriptions.retrieve(result.subscription!);
    expect(sub).toMatchObject({
      customer: cus.id,
      status: 'active',
      metadata: { paywire_checkout_id: 'chk_1', paywire_subject_id: 't_1' },
    });
    // The first invoice carries the subscription's metadata as Stripe copies it.
    const invoice = await stripe.invoices.retrieve(result.invoice!);
    expect(invoice.parent?.subscription_details?.metadata).toEqual(sub.metadata);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: 'complete',
      customer: cus.id,
      subscription: sub.id,
      metadata: { paywire_checkout_id: 'chk_1' },
    });
  });

  it('payment mode: payment_intent_data.metadata lands on the payment intent, the customer on it and its charge', async () => {
    const cus = await customer();
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: cus.id,
      line_items: [{ price: oneTime.id, quantity: 1 }],
      metadata: { paywire_checkout_id: 'chk_2' },
      payment_intent_data: { metadata: { paywire_checkout_id: 'chk_2' }, description: 'Credits' },
    });
    expect(session.customer_creation).toBeNull();
    const result = await control.completeCheckout(session.id);
    expect(result.customer).toBe(cus.id);
    expect(result.events.map((e) => e.type)).not.toContain('customer.created');
    const pi = await stripe.paymentIntents.retrieve(result.payment_intent!);
    expect(pi).toMatchObject({
      customer: cus.id,
      amount: 2000,
      status: 'succeeded',
      description: 'Credits',
      metadata: { paywire_checkout_id: 'chk_2' },
    });
    expect((await stripe.charges.retrieve(result.charge!)).customer).toBe(cus.id);
  });

  it('refuses a customer that does not exist and customer with customer_email', async () => {
    await expect(
      stripe.checkout.sessions.create({
        mode: 'payment',
        customer: 'cus_missing',
        line_items: [{ price: oneTime.id, quantity: 1 }],
      }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'customer' });
    const cus = await customer();
    await expect(
      stripe.checkout.sessions.create({
        mode: 'payment',
        customer: cus.id,
        customer_email: 'x@example.com',
        line_items: [{ price: oneTime.id, quantity: 1 }],
      }),
    ).rejects.toMatchObject({ param: 'customer' });
  });

  it('subscription_data.trial_period_days: a trialing subscription with trial_end, the metadata and a $0 session', async () => {
    const cus = await customer();
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: cus.id,
      line_items: [{ price: monthly.id, quantity: 1 }],
      subscription_data: { trial_period_days: 14, metadata: { paywire_checkout_id: 'chk_3' } },
    });
    expect(session.amount_total).toBe(0);
    const result = await control.completeCheckout(session.id);
    const sub = await stripe.subscriptions.retrieve(result.subscription!);
    expect(sub).toMatchObject({ status: 'trialing', metadata: { paywire_checkout_id: 'chk_3' } });
    expect(sub.trial_end).toBe(sub.trial_start! + 14 * 86400);
    expect((await stripe.invoices.retrieve(result.invoice!)).amount_paid).toBe(0);
  });
});

describe('customer portal', () => {
  it('creates a session with a hosted page whose Cancel now sends signed customer.subscription.deleted', async () => {
    const endpoint = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.subscription.deleted', 'customer.subscription.updated'],
    });
    const cus = await customer();
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: cus.id,
      line_items: [{ price: monthly.id, quantity: 1 }],
    });
    const { subscription } = await control.completeCheckout(session.id);
    const portal = await stripe.billingPortal.sessions.create({
      customer: cus.id,
      return_url: 'https://app.example.com/account',
    });
    expect(portal.url).toBe(`${emu.url}/p/session/${portal.id}`);
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain('Pro');
    expect(page).toContain('https://app.example.com/account');
    receiver.received.length = 0;
    const res = await fetch(`${portal.url}/subscriptions/${subscription}`, {
      method: 'POST',
      body: new URLSearchParams({ action: 'cancel_now' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/p/session/${portal.id}`);
    const sub = await stripe.subscriptions.retrieve(subscription!);
    expect(sub).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'cancellation_requested' },
    });
    const hook = await waitFor(() =>
      receiver.received.find((r) => JSON.parse(r.body).type === 'customer.subscription.deleted'),
    );
    const event = await Stripe.webhooks.constructEventAsync(
      hook.body,
      hook.headers['stripe-signature'] as string,
      endpoint.secret!,
    );
    expect(event.data.object).toMatchObject({ id: subscription, status: 'canceled' });
    expect(await (await fetch(portal.url)).text()).toContain('Canceled');
  });

  it('refuses another customer’s subscription on the page (404), and a portal for a missing customer', async () => {
    const a = await customer();
    const b = await stripe.customers.create({ email: 'b@example.com' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: a.id,
      line_items: [{ price: monthly.id, quantity: 1 }],
    });
    const { subscription } = await control.completeCheckout(session.id);
    const portal = await stripe.billingPortal.sessions.create({ customer: b.id });
    const res = await fetch(`${portal.url}/subscriptions/${subscription}`, {
      method: 'POST',
      body: new URLSearchParams({ action: 'cancel_now' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(404);
    expect((await stripe.subscriptions.retrieve(subscription!)).status).toBe('active');
    await expect(stripe.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });
});
