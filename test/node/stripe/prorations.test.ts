import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

// Plan changes as Stripe documents them (https://docs.stripe.com/billing/subscriptions/prorations):
// create_prorations (default) leaves pending proration invoice items for the next invoice,
// always_invoice bills them at once (billing_reason subscription_update), none creates nothing;
// create_preview shows the result without changing anything
// (https://docs.stripe.com/api/invoices/create_preview).

const DAY = 86_400;
let emu: StripeEmulator;
let stripe: Stripe;
let basic: Stripe.Price;
let pro: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client(undefined, { maxNetworkRetries: 0 });
});
afterAll(() => emu.close());
beforeEach(async () => {
  emu.reset();
  const product = await stripe.products.create({ name: 'Plan' });
  basic = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 3000,
    recurring: { interval: 'month' },
  });
  pro = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 6000,
    recurring: { interval: 'month' },
  });
});

async function subscribed() {
  const customer = await stripe.customers.create({
    email: 'plan@example.com',
    payment_method: 'pm_card_visa',
  });
  const pm = (await stripe.customers.listPaymentMethods(customer.id)).data[0]!;
  const sub = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: basic.id }],
    default_payment_method: pm.id,
  });
  const item = sub.items.data[0]!;
  // Half way through a 30-day period: the prorations are about half a month each.
  const length = item.current_period_end - item.current_period_start;
  await emu.control().advanceClock(Math.floor(length / 2));
  return { customer, sub, item, length };
}

function toPro(item: Stripe.SubscriptionItem) {
  return [{ id: item.id, price: pro.id }];
}

describe('proration_behavior', () => {
  it('create_prorations (default): a credit and a charge wait as pending invoice items', async () => {
    const { customer, sub, item } = await subscribed();
    await stripe.subscriptions.update(sub.id, { items: toPro(item) });
    const pending = (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data;
    expect(pending).toHaveLength(2);
    expect(pending.every((ii) => ii.proration && ii.invoice === null)).toBe(true);
    const amounts = pending.map((ii) => ii.amount).sort((a, b) => a - b);
    expect(amounts[0]).toBeLessThan(0);
    expect(amounts[0]).toBeGreaterThanOrEqual(-1600);
    expect(amounts[1]).toBeGreaterThan(2800);
    // No invoice yet: the next renewal bills the new price and the prorations.
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(1);
    await emu.control().advanceClock(20 * DAY);
    const renewal = (await stripe.invoices.list({ subscription: sub.id })).data[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.total).toBe(6000 + amounts[0]! + amounts[1]!);
    expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(0);
  });

  it('always_invoice: the prorations are invoiced and paid at once (billing_reason subscription_update)', async () => {
    const { customer, sub, item } = await subscribed();
    const updated = await stripe.subscriptions.update(sub.id, {
      items: toPro(item),
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    expect(invoice.lines.data).toHaveLength(2);
    expect(invoice.total).toBeGreaterThan(1000);
    expect(invoice.total).toBeLessThan(2000);
    expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(0);
  });

  it('none: no invoice item, no invoice', async () => {
    const { customer, sub, item } = await subscribed();
    await stripe.subscriptions.update(sub.id, { items: toPro(item), proration_behavior: 'none' });
    expect((await stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(1);
  });
});

describe('POST /v1/invoices/create_preview and /v1/invoiceitems', () => {
  it('previews a plan change without changing anything', async () => {
    const { customer, sub, item } = await subscribed();
    const events = (await stripe.events.list({ limit: 100 })).data.length;
    const preview = await stripe.invoices.createPreview({
      subscription: sub.id,
      subscription_details: { items: toPro(item), proration_behavior: 'always_invoice' },
    });
    expect(preview.id).toMatch(/^upcoming_in_/);
    expect(preview.billing_reason).toBe('subscription_update');
    expect(preview.lines.data.map((l) => l.amount).some((a) => a < 0)).toBe(true);
    const upcoming = await stripe.invoices.createPreview({ subscription: sub.id });
    expect(upcoming).toMatchObject({ billing_reason: 'upcoming', total: 3000 });
    // Nothing stored, nothing sent.
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id).toBe(basic.id);
    expect((await stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await stripe.events.list({ limit: 100 })).data.length).toBe(events);
  });

  it('an invoice item created by hand is billed on the next invoice, and can be deleted while pending', async () => {
    const { customer, sub } = await subscribed();
    const setup = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 500,
      currency: 'usd',
      description: 'Setup fee',
    });
    const extra = await stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    expect(setup).toMatchObject({ object: 'invoiceitem', invoice: null, proration: false });
    expect(await stripe.invoiceItems.del(extra.id)).toEqual({
      id: extra.id,
      object: 'invoiceitem',
      deleted: true,
    });
    await emu.control().advanceClock(20 * DAY);
    const renewal = (await stripe.invoices.list({ subscription: sub.id })).data[0]!;
    expect(renewal.total).toBe(3500);
    expect((await stripe.invoiceItems.retrieve(setup.id)).invoice).toBe(renewal.id);
  });
});
