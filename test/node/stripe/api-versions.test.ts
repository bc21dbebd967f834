import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, raw, startEmulator, startReceiver } from './helpers';

// Stripe renders a response in the request's Stripe-Version and a webhook in its endpoint's
// api_version (https://docs.stripe.com/api/versioning, https://docs.stripe.com/webhooks/versioning).
// Basil (2025-03-31) moved current_period_* to items and invoice.subscription under parent
// (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end,
// https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects);
// 2022-11-15 stopped embedding charge.refunds
// (https://docs.stripe.com/upgrades#2022-11-15).

let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client(undefined, { maxNetworkRetries: 0 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await emu.close();
});
beforeEach(() => emu.reset());

function get(path: string, version: string) {
  return raw(emu, 'GET', path, { headers: { 'stripe-version': version } });
}

describe('unknown and unmodelled versions (docs.stripe.com/api/versioning)', () => {
  it('a Stripe-Version that does not exist is 400 "Invalid Stripe API version"', async () => {
    const res = await get('/v1/customers', '2025-09-30.acacia');
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: { type: 'invalid_request_error', message: 'Invalid Stripe API version: 2025-09-30.acacia' },
    });
  });

  it('a webhook endpoint api_version that does not exist is 400 on api_version', async () => {
    const err = await stripe.webhookEndpoints
      .create({ url: receiver.url, enabled_events: ['*'], api_version: '2024-13-01' as never })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 400, param: 'api_version' });
  });

  it('a real version older than the emulator models is refused, saying so', async () => {
    const res = await get('/v1/customers', '2019-12-03');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: { message: expect.stringContaining('only renders versions from') },
    });
  });
});

describe('older versions render their shapes', () => {
  it('2024-06-20: the period is on the subscription, the invoice names its subscription and charge', async () => {
    const r = await emu.control().trigger('checkout.subscription');
    const subId = r.objects.subscription!;
    const sub = (await get(`/v1/subscriptions/${subId}`, '2024-06-20')).json as Record<string, any>;
    expect(sub.current_period_start).toEqual(expect.any(Number));
    expect(sub.current_period_end).toBeGreaterThan(sub.current_period_start);
    expect(sub.items.data[0].current_period_end).toBeUndefined();
    const invoice = (await get(`/v1/invoices/${sub.latest_invoice}`, '2024-06-20')).json as Record<
      string,
      any
    >;
    expect(invoice).toMatchObject({ subscription: subId, paid: true, charge: expect.stringMatching(/^ch_/) });
    expect(invoice.parent).toBeUndefined();
    // The pinned version keeps today's shapes.
    const current = await stripe.subscriptions.retrieve(subId);
    expect(current.items.data[0]!.current_period_end).toBe(sub.current_period_end);
    expect((current as unknown as Record<string, unknown>).current_period_end).toBeUndefined();
  });

  it('2022-08-01: a charge embeds its refunds', async () => {
    const r = await emu.control().trigger('refund.partial', { amount: 3000, refund_amount: 1000 });
    const chargeId = r.objects.charge!;
    const charge = (await get(`/v1/charges/${chargeId}`, '2022-08-01')).json as Record<string, any>;
    expect(charge.refunds).toMatchObject({ object: 'list', total_count: 1, data: [{ amount: 1000 }] });
    const later = (await get(`/v1/charges/${chargeId}`, '2022-11-15')).json as Record<string, any>;
    expect(later.refunds).toBeUndefined();
  });

  it('an endpoint pinned to 2024-06-20 receives that version’s shapes, labelled with it', async () => {
    await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.subscription.created', 'invoice.paid'],
      api_version: '2024-06-20' as never,
    });
    receiver.received.length = 0;
    await emu.control().trigger('checkout.subscription');
    await emu.control().flushDeliveries();
    const events = receiver.received.map((r) => JSON.parse(r.body) as Record<string, any>);
    const created = events.find((e) => e.type === 'customer.subscription.created')!;
    expect(created.api_version).toBe('2024-06-20');
    expect(created.data.object.current_period_end).toEqual(expect.any(Number));
    const paid = events.find((e) => e.type === 'invoice.paid')!;
    expect(paid.data.object.subscription).toBe(created.data.object.id);
  });
});
