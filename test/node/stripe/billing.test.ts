import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

const DAY = 86400;
let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;
let monthly: Stripe.Price;
let yearly: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
  control = emu.control();
});
afterAll(() => emu.close());

beforeEach(async () => {
  await control.reset();
  const product = await stripe.products.create({ name: 'Team', metadata: { plan: 'team' } });
  monthly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
  });
  yearly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 10000,
    recurring: { interval: 'year' },
  });
});

async function subscribe(opts: { trial?: number } = {}) {
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: monthly.id, quantity: 1 }],
    ...(opts.trial ? { subscription_data: { trial_period_days: opts.trial } } : {}),
  });
  const result = await control.completeCheckout(session.id);
  return stripe.subscriptions.retrieve(result.subscription!);
}

function periodEnd(sub: Stripe.Subscription): number {
  return sub.items.data[0]!.current_period_end;
}

describe('subscriptions API', () => {
  it('retrieves, lists (default excludes canceled, status=all includes), updates and cancels', async () => {
    const a = await subscribe();
    const b = await subscribe();
    const updated = await stripe.subscriptions.update(a.id, {
      metadata: { seats: '5' },
      description: 'Team plan',
    });
    expect(updated).toMatchObject({ metadata: { seats: '5' }, description: 'Team plan' });
    const updateEvent = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 1 }))
      .data[0]!;
    expect(updateEvent.data.previous_attributes).toEqual({ metadata: { seats: null }, description: null });

    const canceled = await stripe.subscriptions.cancel(b.id, {
      cancellation_details: { comment: 'too pricey' },
    });
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'cancellation_requested', comment: 'too pricey' },
    });
    expect(canceled.ended_at).toBe(canceled.canceled_at);
    expect(
      (await stripe.events.list({ type: 'customer.subscription.deleted', limit: 1 })).data[0]!.data.object,
    ).toMatchObject({
      id: b.id,
      status: 'canceled',
    });

    expect((await stripe.subscriptions.list()).data.map((s) => s.id)).toEqual([a.id]);
    expect((await stripe.subscriptions.list({ status: 'all' })).data.map((s) => s.id)).toEqual([b.id, a.id]);
    expect((await stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([b.id]);
    expect(
      (await stripe.subscriptions.list({ customer: a.customer as string })).data.map((s) => s.id),
    ).toEqual([a.id]);
    expect((await stripe.subscriptions.list({ price: monthly.id, status: 'all' })).data).toHaveLength(2);

    await expect(stripe.subscriptions.update(b.id, { description: 'nope' })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(stripe.subscriptions.cancel(b.id)).rejects.toMatchObject({ statusCode: 400 });

    const items = await stripe.subscriptionItems.list({ subscription: a.id });
    expect(items.data.map((i) => i.id)).toEqual(a.items.data.map((i) => i.id));
    expect((await stripe.subscriptionItems.retrieve(a.items.data[0]!.id)).price.id).toBe(monthly.id);
  });

  it('creates subscriptions through the API with a test payment method', async () => {
    const customer = await stripe.customers.create({
      email: 'api@example.com',
      payment_method: 'pm_card_visa',
    });
    const pms = await stripe.customers.listPaymentMethods(customer.id);
    expect(pms.data).toHaveLength(1);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      default_payment_method: pms.data[0]!.id,
      metadata: { team: 't1' },
      expand: ['latest_invoice'],
    });
    expect(sub).toMatchObject({ status: 'active', metadata: { team: 't1' } });
    expect((sub.latest_invoice as Stripe.Invoice).status).toBe('paid');

    const noPm = await stripe.customers.create({ email: 'nopm@example.com' });
    await expect(
      stripe.subscriptions.create({ customer: noPm.id, items: [{ price: monthly.id }] }),
    ).rejects.toMatchObject({
      statusCode: 400,
    });
    const incomplete = await stripe.subscriptions.create({
      customer: noPm.id,
      items: [{ price: monthly.id }],
      payment_behavior: 'default_incomplete',
    });
    expect(incomplete.status).toBe('incomplete');
    await control.advanceClock(23 * 3600 + 1);
    expect((await stripe.subscriptions.retrieve(incomplete.id)).status).toBe('incomplete_expired');
  });

  it('changes the price of an item; an interval change bills the new period now', async () => {
    const sub = await subscribe();
    const changed = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: yearly.id }],
      proration_behavior: 'none',
    });
    expect(changed.items.data[0]!.price.id).toBe(yearly.id);
    expect(periodEnd(changed) - changed.items.data[0]!.current_period_start).toBeGreaterThanOrEqual(
      365 * DAY,
    );
    const invoice = await stripe.invoices.retrieve(changed.latest_invoice as string);
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_update',
      status: 'paid',
      amount_paid: 10000,
    });
  });
});

describe('invoices and payment methods API', () => {
  it('lists lines and invoice payments; updates, voids and marks invoices uncollectible', async () => {
    const sub = await subscribe();
    const invoiceId = sub.latest_invoice as string;
    const lines = await stripe.invoices.listLineItems(invoiceId);
    expect(lines.data).toHaveLength(1);
    expect(lines.data[0]).toMatchObject({ object: 'line_item', invoice: invoiceId, amount: 1000 });
    const payments = await stripe.invoicePayments.list({ invoice: invoiceId });
    expect(payments.data).toEqual([
      expect.objectContaining({ invoice: invoiceId, status: 'paid', is_default: true }),
    ]);
    expect((await stripe.invoicePayments.retrieve(payments.data[0]!.id)).id).toBe(payments.data[0]!.id);
    const tagged = await stripe.invoices.update(invoiceId, { metadata: { erp: 'x1' } });
    expect(tagged.metadata).toEqual({ erp: 'x1' });
    expect(
      (await stripe.invoices.list({ customer: sub.customer as string, status: 'paid' })).data.map(
        (i) => i.id,
      ),
    ).toEqual([invoiceId]);
    await expect(stripe.invoices.voidInvoice(invoiceId)).rejects.toMatchObject({ statusCode: 400 });

    await control.setPaymentBehavior(sub.customer as string, { fail: true });
    await control.advanceClockTo(periodEnd(sub) + 3600);
    const open = (await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string;
    const voided = await stripe.invoices.voidInvoice(open);
    expect(voided).toMatchObject({ status: 'void', next_payment_attempt: null });
    // Only *.updated events carry previous_attributes
    // (docs.stripe.com/api/events/object#event_object-data-previous_attributes).
    const voidedEvent = (await stripe.events.list({ type: 'invoice.voided', limit: 1 })).data[0]!;
    expect(voidedEvent.data.object).toMatchObject({ status: 'void' });
    expect(voidedEvent.data).not.toHaveProperty('previous_attributes');
    const updatedEvent = (await stripe.events.list({ type: 'invoice.updated', limit: 1 })).data[0]!;
    expect(updatedEvent.data.previous_attributes).toMatchObject({ status: 'open' });

    const other = await subscribe();
    await control.setPaymentBehavior(other.customer as string, { fail: true });
    await control.advanceClockTo(periodEnd(other) + 3600);
    const otherOpen = (await stripe.subscriptions.retrieve(other.id)).latest_invoice as string;
    expect((await stripe.invoices.markUncollectible(otherOpen)).status).toBe('uncollectible');
  });

  it('attaches and detaches payment methods', async () => {
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
    expect(pm).toMatchObject({
      object: 'payment_method',
      customer: customer.id,
      card: { brand: 'mastercard', last4: '4444' },
    });
    expect((await stripe.events.list({ limit: 1 })).data[0]!.type).toBe('payment_method.attached');
    await expect(
      stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'card_declined',
    });
    const detached = await stripe.paymentMethods.detach(pm.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.customers.listPaymentMethods(customer.id)).data).toEqual([]);
  });
});

describe('clock-driven billing', () => {
  it('renews at period end: draft invoice, finalized an hour later and paid', async () => {
    const sub = await subscribe();
    const end = periodEnd(sub);
    const atEnd = await control.advanceClockTo(end);
    expect(atEnd.events.map((e) => e.type)).toEqual(['invoice.created', 'customer.subscription.updated']);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]!.current_period_start).toBe(end);
    const draft = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(draft).toMatchObject({
      status: 'draft',
      billing_reason: 'subscription_cycle',
      automatically_finalizes_at: end + 3600,
    });
    expect(draft.period_end).toBe(end);

    const charged = await control.advanceClock(3600);
    expect(charged.events.map((e) => e.type)).toEqual([
      'invoice.finalized',
      'payment_intent.created',
      'invoice.updated',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    const events = await Promise.all(charged.events.map((e) => stripe.events.retrieve(e.id)));
    // The invoice is finalized at the hour; the card answers a second later, and every event
    // from the charge on carries that second (Stripe's events of one flow spread out).
    expect(events.map((e) => e.created - end)).toEqual([3600, 3600, 3601, 3601, 3601, 3601, 3601, 3601]);
    const paid = await stripe.invoices.retrieve(draft.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 1000, attempt_count: 1 });
    expect((await stripe.invoices.list({ subscription: sub.id })).data.map((i) => i.id)).toEqual([
      draft.id,
      sub.latest_invoice,
    ]);
  });

  it('ends a trial: trial_will_end 3 days before, then trialing → active with a paid invoice', async () => {
    const sub = await subscribe({ trial: 7 });
    const soon = await control.advanceClock(4 * DAY + 1);
    expect(soon.events.map((e) => e.type)).toEqual(['customer.subscription.trial_will_end']);
    const ended = await control.advanceClock(3 * DAY + 3600);
    expect(ended.events.map((e) => e.type)).toEqual([
      'invoice.created',
      'customer.subscription.updated',
      'invoice.finalized',
      'payment_intent.created',
      'invoice.updated',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    const update = await stripe.events.retrieve(ended.events[1]!.id);
    expect(update.data.previous_attributes).toMatchObject({ status: 'trialing' });
    const active = await stripe.subscriptions.retrieve(sub.id);
    expect(active.status).toBe('active');
    expect(active.items.data[0]!.current_period_start).toBe(sub.trial_end);
  });

  it('failed renewal → past_due, retries with dunning, then canceled', async () => {
    const sub = await subscribe();
    await control.setPaymentBehavior(sub.customer as string, {
      fail: true,
      decline_code: 'insufficient_funds',
    });
    const failed = await control.advanceClockTo(periodEnd(sub) + 3600);
    expect(failed.events.map((e) => e.type)).toEqual([
      'invoice.created',
      'customer.subscription.updated',
      'invoice.finalized',
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
      'invoice.updated',
      'invoice.payment_failed',
      'customer.subscription.updated',
    ]);
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(invoice.next_payment_attempt).toBe(periodEnd(sub) + 3600 + 3 * DAY);
    const chargeEvent = await stripe.events.retrieve(failed.events[4]!.id);
    const charge = await stripe.charges.retrieve((chargeEvent.data.object as Stripe.Charge).id);
    expect(charge).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      outcome: { reason: 'insufficient_funds' },
    });

    const exhausted = await control.advanceClock(15 * DAY + 60);
    expect(exhausted.events.filter((e) => e.type === 'invoice.payment_failed')).toHaveLength(3);
    expect(exhausted.events.at(-1)!.type).toBe('customer.subscription.deleted');
    const canceled = await stripe.subscriptions.retrieve(sub.id);
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'payment_failed' },
    });
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(4);
  });

  it('failed renewal → unpaid when dunning says so; a working card recovers past_due', async () => {
    await control.setDunning({ final_action: 'unpaid', retry_days: [1, 1] });
    const sub = await subscribe();
    await control.setPaymentBehavior(sub.customer as string, { fail: true });
    await control.advanceClockTo(periodEnd(sub) + 3600);
    await control.advanceClock(2 * DAY + 60);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('unpaid');

    const other = await subscribe();
    await control.setPaymentBehavior(other.customer as string, { fail: true });
    await control.advanceClockTo(periodEnd(other) + 3600);
    expect((await stripe.subscriptions.retrieve(other.id)).status).toBe('past_due');
    await control.setPaymentBehavior(other.customer as string, { fail: false });
    const recovered = await control.advanceClock(DAY + 60);
    expect(recovered.events.map((e) => e.type)).toContain('invoice.paid');
    const event = await stripe.events.retrieve(recovered.events.at(-1)!.id);
    expect(event).toMatchObject({
      type: 'customer.subscription.updated',
      data: { previous_attributes: { status: 'past_due' } },
    });
    expect((await stripe.subscriptions.retrieve(other.id)).status).toBe('active');
  });

  it('paying an open invoice through the API recovers the subscription', async () => {
    const sub = await subscribe();
    await control.setPaymentBehavior(sub.customer as string, { fail: true });
    await control.advanceClockTo(periodEnd(sub) + 3600);
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    await expect(stripe.invoices.pay(pastDue.latest_invoice as string)).rejects.toMatchObject({
      statusCode: 402,
      code: 'card_declined',
    });
    const paid = await stripe.invoices.pay(pastDue.latest_invoice as string, {
      payment_method: 'pm_card_mastercard',
    });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('cancel_at_period_end cancels when the period ends, without a renewal invoice', async () => {
    const sub = await subscribe();
    const updated = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(updated).toMatchObject({
      cancel_at_period_end: true,
      cancel_at: periodEnd(sub),
      cancellation_details: { reason: 'cancellation_requested' },
    });
    const event = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 1 })).data[0]!;
    expect(event.data.previous_attributes).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    const done = await control.advanceClockTo(periodEnd(sub) + 10);
    expect(done.events.map((e) => e.type)).toEqual(['customer.subscription.deleted']);
    const canceled = await stripe.subscriptions.retrieve(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', ended_at: periodEnd(sub) });
  });

  it('keeps clocks per account+mode', async () => {
    const other = emu.addAccount();
    const before = (await emu.control(other.testSecretKey).clock()).now;
    await control.advanceClock(10 * DAY);
    const after = (await emu.control(other.testSecretKey).clock()).now;
    expect(after - before).toBeLessThan(5);
    const mine = await control.clock();
    expect(mine.offset).toBe(10 * DAY);
  });
});
