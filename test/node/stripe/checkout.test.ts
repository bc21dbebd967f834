import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
  control = emu.control();
});
afterAll(() => emu.close());

beforeEach(async () => {
  await control.reset();
  const credits = await stripe.products.create({ name: 'Credits', metadata: { credits: '100' } });
  oneTime = await stripe.prices.create({ product: credits.id, currency: 'usd', unit_amount: 2000 });
  const pro = await stripe.products.create({ name: 'Pro', metadata: { plan: 'pro' } });
  monthly = await stripe.prices.create({
    product: pro.id,
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
  });
});

/** Events of the book created after `since` (an event id), oldest first. */
async function eventsSince(since?: string): Promise<Stripe.Event[]> {
  const all = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
  const ordered = all.reverse();
  const index = since ? ordered.findIndex((e) => e.id === since) : -1;
  return ordered.slice(index + 1);
}

async function lastEventId(): Promise<string | undefined> {
  return (await stripe.events.list({ limit: 1 })).data[0]?.id;
}

describe('checkout session creation', () => {
  it('creates payment and subscription sessions with Stripe’s fields', async () => {
    const payment = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 2 }],
      customer_creation: 'always',
      client_reference_id: 'user_42',
      metadata: { order: 'o_1' },
      success_url: 'https://app.example.com/ok?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
    });
    expect(payment.id).toMatch(/^cs_test_[A-Za-z0-9]{58}$/);
    expect(payment).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: 4000,
      amount_total: 4000,
      currency: 'usd',
      customer: null,
      customer_creation: 'always',
      client_reference_id: 'user_42',
      metadata: { order: 'o_1' },
      payment_intent: null,
      subscription: null,
      livemode: false,
      ui_mode: 'hosted',
    });
    expect(payment.url).toBe(`${emu.url}/c/pay/${payment.id}`);
    expect(payment.expires_at - payment.created).toBe(24 * 3600);
    expect(payment).not.toHaveProperty('line_items');

    const withItems = await stripe.checkout.sessions.retrieve(payment.id, { expand: ['line_items'] });
    expect(withItems.line_items?.data).toEqual([
      expect.objectContaining({
        object: 'item',
        quantity: 2,
        amount_total: 4000,
        description: 'Credits',
        price: expect.objectContaining({ id: oneTime.id }),
      }),
    ]);
    const items = await stripe.checkout.sessions.listLineItems(payment.id);
    expect(items.data).toHaveLength(1);

    const customer = await stripe.customers.create({ email: 'sub@example.com' });
    const sub = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      customer: customer.id,
      subscription_data: { trial_period_days: 14, metadata: { team: 't_9' } },
      success_url: 'https://app.example.com/ok',
    });
    expect(sub).toMatchObject({
      mode: 'subscription',
      customer: customer.id,
      amount_total: 0,
      customer_creation: null,
    });
  });

  it('rejects bad requests the way Stripe does', async () => {
    const cases: Array<[Stripe.Checkout.SessionCreateParams, Record<string, unknown>]> = [
      [
        { line_items: [{ price: oneTime.id, quantity: 1 }] } as never,
        { code: 'parameter_missing', param: 'mode' },
      ],
      [{ mode: 'payment' }, { code: 'parameter_missing', param: 'line_items' }],
      [
        { mode: 'payment', line_items: [{ price: 'price_missing', quantity: 1 }] },
        { code: 'resource_missing', param: 'line_items[0][price]' },
      ],
      [
        { mode: 'payment', line_items: [{ price: oneTime.id }] },
        { code: 'parameter_missing', param: 'line_items[0][quantity]' },
      ],
      [
        { mode: 'payment', line_items: [{ price: oneTime.id, quantity: 'two' as never }] },
        { code: 'parameter_invalid_integer', param: 'line_items[0][quantity]' },
      ],
      [{ mode: 'payment', line_items: [{ price: monthly.id, quantity: 1 }] }, { param: 'line_items' }],
      [{ mode: 'subscription', line_items: [{ price: oneTime.id, quantity: 1 }] }, { param: 'line_items' }],
      [
        {
          mode: 'subscription',
          customer_creation: 'always',
          line_items: [{ price: monthly.id, quantity: 1 }],
        },
        { param: 'customer_creation' },
      ],
      [
        { mode: 'payment', customer: 'cus_missing', line_items: [{ price: oneTime.id, quantity: 1 }] },
        { code: 'resource_missing', param: 'customer' },
      ],
      [
        { mode: 'payment', success_url: 'not a url', line_items: [{ price: oneTime.id, quantity: 1 }] },
        { param: 'success_url' },
      ],
      [{ mode: 'bogus' as never, line_items: [{ price: oneTime.id, quantity: 1 }] }, { param: 'mode' }],
    ];
    for (const [params, expected] of cases) {
      const err = await stripe.checkout.sessions.create(params).catch((e: unknown) => e);
      expect(err, JSON.stringify(params)).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err, JSON.stringify(params)).toMatchObject({
        statusCode: 400,
        rawType: 'invalid_request_error',
        ...expected,
      });
    }
    await stripe.prices.update(oneTime.id, { active: false });
    await expect(
      stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: oneTime.id, quantity: 1 }] }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('inactive') });
  });

  it('supports price_data line items', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 1234, product_data: { name: 'Ad hoc' } }, quantity: 1 },
      ],
    });
    expect(session.amount_total).toBe(1234);
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data[0]).toMatchObject({
      description: 'Ad hoc',
      price: { unit_amount: 1234, active: false },
    });
  });

  it('lists, filters and expires sessions', async () => {
    const a = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    const b = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    expect((await stripe.checkout.sessions.list()).data.map((s) => s.id)).toEqual([b.id, a.id]);
    const since = await lastEventId();
    const expired = await stripe.checkout.sessions.expire(a.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect((await eventsSince(since)).map((e) => e.type)).toEqual(['checkout.session.expired']);
    expect((await stripe.checkout.sessions.list({ status: 'open' })).data.map((s) => s.id)).toEqual([b.id]);
    await expect(stripe.checkout.sessions.expire(a.id)).rejects.toMatchObject({ statusCode: 400 });

    // Sessions expire on their own when the clock passes expires_at.
    await control.advanceClock(24 * 3600 + 1);
    expect((await stripe.checkout.sessions.retrieve(b.id)).status).toBe('expired');
  });
});

describe('completing checkout', () => {
  it('payment mode: events in Stripe’s order, objects referencing each other', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      customer_creation: 'always',
      client_reference_id: 'user_7',
      metadata: { order: 'o_7' },
      payment_intent_data: { metadata: { order: 'o_7' } },
    });
    const since = await lastEventId();
    const result = await control.completeCheckout(session.id, { email: 'buyer@example.com', name: 'Buyer' });
    expect(result.outcome).toBe('completed');
    const events = await eventsSince(since);
    expect(events.map((e) => e.type)).toEqual([
      'customer.created',
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
      'checkout.session.completed',
    ]);
    expect(result.events.map((e) => e.id)).toEqual(events.map((e) => e.id));

    const completed = events.at(-1)!.data.object as Stripe.Checkout.Session;
    expect(completed).toMatchObject({
      id: session.id,
      status: 'complete',
      payment_status: 'paid',
      customer: result.customer,
      payment_intent: result.payment_intent,
      client_reference_id: 'user_7',
      metadata: { order: 'o_7' },
      customer_details: { email: 'buyer@example.com', name: 'Buyer' },
    });
    const pi = await stripe.paymentIntents.retrieve(result.payment_intent!, { expand: ['latest_charge'] });
    expect(pi).toMatchObject({
      status: 'succeeded',
      amount: 2000,
      amount_received: 2000,
      customer: result.customer,
      metadata: { order: 'o_7' },
    });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({
      id: result.charge,
      paid: true,
      status: 'succeeded',
      payment_intent: pi.id,
      customer: result.customer,
    });
    expect(charge).not.toHaveProperty('refunds');
    const customer = await stripe.customers.retrieve(result.customer!);
    expect(customer).toMatchObject({ email: 'buyer@example.com' });
    // The flow spreads over two seconds (the card answers a second after the intent is
    // created), never backwards; several events still share a second, so consumers must order
    // by more than `created`.
    const seconds = events.map((e) => e.created - events[0]!.created);
    expect(new Set(seconds)).toEqual(new Set([0, 1]));
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
  });

  it('payment mode without customer_creation=always creates no customer', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    const result = await control.completeCheckout(session.id);
    expect(result.customer).toBeNull();
    expect(result.events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
      'checkout.session.completed',
    ]);
  });

  it('subscription mode: customer → subscription → invoice → payment, Stripe’s event order', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 2 }],
      client_reference_id: 'user_9',
      metadata: { source: 'pricing_page' },
      subscription_data: { metadata: { team: 't_9' } },
    });
    const since = await lastEventId();
    const result = await control.completeCheckout(session.id);
    const events = await eventsSince(since);
    expect(events.map((e) => e.type)).toEqual([
      'customer.created',
      'payment_method.attached',
      'invoice.created',
      'invoice.finalized',
      'customer.subscription.created',
      'payment_intent.created',
      'invoice.updated',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'payment_intent.succeeded',
      'charge.succeeded',
      'customer.subscription.updated',
      'checkout.session.completed',
    ]);
    const byType = (t: string) =>
      events.find((e) => e.type === t)!.data.object as unknown as Record<string, unknown>;
    const created = byType('customer.subscription.created') as unknown as Stripe.Subscription;
    expect(created).toMatchObject({
      status: 'incomplete',
      customer: result.customer,
      latest_invoice: result.invoice,
    });
    const updatedEvent = events.find((e) => e.type === 'customer.subscription.updated')!;
    expect(updatedEvent.data.previous_attributes).toEqual({ status: 'incomplete' });

    const sub = await stripe.subscriptions.retrieve(result.subscription!, {
      expand: ['latest_invoice.payments'],
    });
    expect(sub).toMatchObject({
      status: 'active',
      customer: result.customer,
      default_payment_method: result.payment_method,
      // Stripe copies subscription_data.metadata; session metadata and client_reference_id stay on the session.
      metadata: { team: 't_9' },
      cancel_at_period_end: false,
    });
    expect(sub).not.toHaveProperty('current_period_end');
    const item = sub.items.data[0]!;
    expect(item).toMatchObject({
      object: 'subscription_item',
      quantity: 2,
      price: { id: monthly.id },
      plan: { id: monthly.id, object: 'plan' },
    });
    expect(item.current_period_start).toBe(sub.start_date);
    expect(new Date(item.current_period_end * 1000).getUTCDate()).toBe(
      new Date(item.current_period_start * 1000).getUTCDate(),
    );

    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      id: result.invoice,
      status: 'paid',
      billing_reason: 'subscription_create',
      amount_due: 3000,
      amount_paid: 3000,
      customer: result.customer,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: sub.id, metadata: { team: 't_9' } },
      },
    });
    expect(invoice).not.toHaveProperty('subscription');
    expect(invoice).not.toHaveProperty('charge');
    expect(invoice.lines.data[0]).toMatchObject({
      amount: 3000,
      quantity: 2,
      period: { start: item.current_period_start, end: item.current_period_end },
      parent: {
        type: 'subscription_item_details',
        subscription_item_details: { subscription: sub.id, subscription_item: item.id },
      },
      pricing: { price_details: { price: monthly.id } },
    });
    expect(invoice.payments?.data[0]).toMatchObject({
      object: 'invoice_payment',
      status: 'paid',
      amount_paid: 3000,
      payment: { type: 'payment_intent', payment_intent: result.payment_intent },
    });
    const completed = await stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      subscription: sub.id,
      invoice: invoice.id,
      customer: result.customer,
      client_reference_id: 'user_9',
      metadata: { source: 'pricing_page' },
    });
    // Checkout makes the card the subscription's default, not the customer's
    // (docs.stripe.com/api/subscriptions/object#subscription_object-default_payment_method).
    const customer = (await stripe.customers.retrieve(result.customer!)) as Stripe.Customer;
    expect(customer.invoice_settings.default_payment_method).toBeNull();
    expect((await stripe.subscriptions.retrieve(sub.id)).default_payment_method).toBe(result.payment_method);
    const pm = await stripe.paymentMethods.retrieve(result.payment_method!);
    expect(pm).toMatchObject({ customer: customer.id, type: 'card', card: { brand: 'visa', last4: '4242' } });
  });

  it('subscription mode with a trial: $0 invoice, trialing, no payment', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      subscription_data: { trial_period_days: 7 },
    });
    const result = await control.completeCheckout(session.id);
    expect(result.events.map((e) => e.type)).toEqual([
      'customer.created',
      'payment_method.attached',
      'invoice.created',
      'invoice.finalized',
      'customer.subscription.created',
      'invoice.paid',
      'invoice.payment_succeeded',
      'checkout.session.completed',
    ]);
    const sub = await stripe.subscriptions.retrieve(result.subscription!);
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end! - sub.trial_start!).toBe(7 * 86400);
    expect(sub.items.data[0]!.current_period_end).toBe(sub.trial_end);
    expect(result.checkout_session.payment_status).toBe('no_payment_required');
    expect(result.payment_intent).toBeNull();
  });

  it('a declined card leaves the session open (payment_intent.payment_failed), a retry can succeed', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    const failed = await control.failCheckout(session.id);
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline' });
    expect(failed.events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
    ]);
    const pi = await stripe.paymentIntents.retrieve(failed.payment_intent!);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ code: 'card_declined', type: 'card_error' });
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');

    const retried = await control.completeCheckout(session.id);
    expect(retried.payment_intent).toBe(failed.payment_intent);
    expect(retried.events.map((e) => e.type)).toEqual([
      'payment_intent.succeeded',
      'charge.succeeded',
      'checkout.session.completed',
    ]);
    expect((await stripe.charges.list({ payment_intent: pi.id })).data.map((c) => c.status)).toEqual([
      'succeeded',
      'failed',
    ]);
  });

  it('async payment: completed unpaid, then async_payment_succeeded', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    const pending = await control.completeCheckout(session.id, { payment_method: 'async' });
    expect(pending.outcome).toBe('processing');
    expect(pending.events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'checkout.session.completed',
    ]);
    expect(pending.checkout_session.payment_status).toBe('unpaid');
    const settled = (await control.settleAsyncPayment(session.id, 'succeeded')) as {
      events: Array<{ type: string }>;
    };
    expect(settled.events.map((e) => e.type)).toEqual([
      'payment_intent.succeeded',
      'charge.succeeded',
      'checkout.session.async_payment_succeeded',
    ]);
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');
  });

  it('refuses to complete a session twice', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    await control.completeCheckout(session.id);
    await expect(control.completeCheckout(session.id)).rejects.toMatchObject({ status: 400 });
  });
});

describe('hosted pages', () => {
  it('serves a checkout page with a Pay button that completes and redirects', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      customer_creation: 'always',
      success_url: 'https://app.example.com/done?session_id={CHECKOUT_SESSION_ID}',
    });
    const page = await fetch(session.url!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<button type="submit">Pay</button>');
    expect(html).toContain('Credits');

    const declined = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ email: 'p@example.com', name: 'P', card: 'card_declined' }),
      redirect: 'manual',
    });
    expect(declined.status).toBe(200);
    expect(await declined.text()).toContain('Your card was declined.');

    const paid = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ email: 'p@example.com', name: 'P', card: 'card_ok' }),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://app.example.com/done?session_id=${session.id}`);
    const done = await stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', customer_details: { email: 'p@example.com' } });
  });

  it('creates billing portal sessions whose page cancels at period end', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
    });
    const { customer, subscription } = await control.completeCheckout(session.id);
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer!,
      return_url: 'https://app.example.com/account',
    });
    expect(portal).toMatchObject({
      object: 'billing_portal.session',
      customer,
      return_url: 'https://app.example.com/account',
      livemode: false,
      flow: null,
    });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal.configuration).toMatch(/^bpc_/);
    expect(
      (await stripe.events.list({ type: 'billing_portal.session.created', limit: 1 })).data[0]!.data.object,
    ).toMatchObject({ id: portal.id });
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain('Cancel at period end');
    const res = await fetch(`${emu.url}/p/session/${portal.id}/subscriptions/${subscription}`, {
      method: 'POST',
      body: new URLSearchParams({ action: 'cancel_at_period_end' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const sub = await stripe.subscriptions.retrieve(subscription!);
    expect(sub.cancel_at_period_end).toBe(true);
    expect(sub.cancel_at).toBe(sub.items.data[0]!.current_period_end);

    await expect(stripe.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'customer',
    });
  });
});
