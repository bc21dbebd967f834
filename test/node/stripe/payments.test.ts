import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { REFUND_REFERENCE_DELAY } from '../../../dev/stripe/payments';
import { startEmulator } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
});
afterAll(() => emu.close());

async function lastEventId(): Promise<string | undefined> {
  return (await stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function eventTypesSince(since: string | undefined): Promise<string[]> {
  const events = await stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return events.data.map((e) => e.type).reverse();
}

describe('payment intents', () => {
  it('creates and confirms with a test card', async () => {
    const customer = await stripe.customers.create({ email: 'pi@example.com' });
    const since = await lastEventId();
    const pi = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { order: 'o_1' },
    });
    expect(pi).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount_received: 4200,
      customer: customer.id,
    });
    expect(pi.id).toMatch(/^pi_/);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    expect(await eventTypesSince(since)).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, {
      expand: ['balance_transaction'],
    });
    expect(charge).toMatchObject({
      amount: 4200,
      captured: true,
      paid: true,
      metadata: { order: 'o_1' },
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    });
    expect(charge.balance_transaction).toMatchObject({
      object: 'balance_transaction',
      amount: 4200,
      fee: 152,
      net: 4048,
    });
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data.map((p) => p.id)).toEqual([
      pi.id,
    ]);
  });

  it('answers a declined card with a 402 card_error carrying the intent', async () => {
    const err = await stripe.paymentIntents
      .create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds' });
    const pi = (err as Stripe.errors.StripeCardError).payment_intent!;
    expect(pi.status).toBe('requires_payment_method');
    const retried = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
  });

  it('updates and cancels an unconfirmed intent', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });
    expect(pi.status).toBe('requires_payment_method');
    const updated = await stripe.paymentIntents.update(pi.id, { metadata: { cart: 'c1' }, amount: 950 });
    expect(updated).toMatchObject({ amount: 950, metadata: { cart: 'c1' } });
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    await expect(stripe.paymentIntents.cancel(pi.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.paymentIntents.create({ amount: 10, currency: 'usd' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_small',
    });
  });
});

describe('refunds', () => {
  it('refunds partially then fully: charge.refunded, refund.created', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const since = await lastEventId();
    const partial = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 2000,
      reason: 'requested_by_customer',
    });
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 2000,
      status: 'succeeded',
      charge: pi.latest_charge,
      payment_intent: pi.id,
      reason: 'requested_by_customer',
    });
    // The reference's charge.refund.updated / refund.updated come later (see below).
    expect(await eventTypesSince(since)).toEqual(['charge.refunded', 'refund.created']);
    const refundedEvent = (await stripe.events.list({ type: 'charge.refunded', limit: 1 })).data[0]!;
    expect(refundedEvent.data.object).toMatchObject({
      id: pi.latest_charge,
      amount_refunded: 2000,
      refunded: false,
    });
    // Only *.updated events carry previous_attributes
    // (docs.stripe.com/api/events/object#event_object-data-previous_attributes).
    expect(refundedEvent.data).not.toHaveProperty('previous_attributes');

    const full = await stripe.refunds.create({ charge: pi.latest_charge as string });
    expect(full.amount).toBe(3000);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['refunds'] });
    expect(charge).toMatchObject({ amount_refunded: 5000, refunded: true });
    expect(charge.refunds?.data.map((r) => r.id)).toEqual([full.id, partial.id]);

    await expect(stripe.refunds.create({ charge: charge.id })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    });
    expect((await stripe.refunds.list({ charge: charge.id })).data.map((r) => r.id)).toEqual([
      full.id,
      partial.id,
    ]);
    expect((await stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(2);
    const withMeta = await stripe.refunds.update(full.id, { metadata: { ticket: 't1' } });
    expect(withMeta.metadata).toEqual({ ticket: 't1' });
    expect((await stripe.refunds.retrieve(full.id)).metadata).toEqual({ ticket: 't1' });
  });

  it('rejects refunds larger than what is left, or without a charge', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 1001 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
    });
    await expect(stripe.refunds.create({})).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.refunds.create({ charge: 'ch_missing' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'charge',
    });
  });
});

describe('refund references (docs.stripe.com/refunds#tracing-refunds)', () => {
  it('a card refund starts with reference_status pending; refund.updated brings the reference later', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    expect(refund.destination_details?.card).toMatchObject({ reference_status: 'pending' });
    expect(refund.destination_details?.card?.reference).toBeUndefined();
    const updatedNow = await stripe.events.list({ type: 'refund.updated', limit: 100 });
    expect(updatedNow.data.filter((e) => (e.data.object as Stripe.Refund).id === refund.id)).toEqual([]);

    await emu.control().advanceClock(REFUND_REFERENCE_DELAY);
    const later = await stripe.refunds.retrieve(refund.id);
    expect(later.destination_details?.card).toMatchObject({
      reference_status: 'available',
      reference: expect.stringMatching(/^\d{23}$/),
    });
    const updated = (await stripe.events.list({ type: 'refund.updated', limit: 100 })).data.filter(
      (e) => (e.data.object as Stripe.Refund).id === refund.id,
    );
    expect(updated).toHaveLength(1);
    expect(updated[0]!.request).toEqual({ id: null, idempotency_key: null });
    expect(updated[0]!.data.previous_attributes).toMatchObject({
      destination_details: { card: { reference_status: 'pending' } },
    });
  });
});
