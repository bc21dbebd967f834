import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { raw, startEmulator } from './helpers';

// A failed request changes nothing, and Stripe saves the result of a request under its
// idempotency key once the endpoint began, whatever the status; parameters that fail validation
// save nothing (https://docs.stripe.com/api/idempotent_requests).

let emu: StripeEmulator;
let stripe: Stripe;
let price: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client(undefined, { maxNetworkRetries: 0 });
  price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
    product_data: { name: 'All or nothing' },
  });
});
afterAll(() => emu.close());

async function eventCount(): Promise<number> {
  let n = 0;
  for await (const _ of stripe.events.list({ limit: 100 })) n++;
  return n;
}

describe('a failed request changes nothing (docs.stripe.com/api/idempotent_requests)', () => {
  it('a subscription refused for its expand[] creates no subscription, invoice or event', async () => {
    const customer = await stripe.customers.create({
      email: 'expand@example.com',
      payment_method: 'pm_card_visa',
    });
    const before = await eventCount();
    const err = await stripe.subscriptions
      .create({
        customer: customer.id,
        items: [{ price: price.id }],
        default_payment_method: (await stripe.customers.listPaymentMethods(customer.id)).data[0]!.id,
        expand: ['latest_invoice.no_such_field'],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);
    expect((await stripe.invoices.list({ customer: customer.id })).data).toHaveLength(0);
    expect(await eventCount()).toBe(before);
  });

  it('latest_invoice.confirmation_secret is expandable (docs.stripe.com/api/invoices/object#invoice_object-confirmation_secret)', async () => {
    const customer = await stripe.customers.create({ email: 'secret@example.com' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.confirmation_secret'],
    });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice.confirmation_secret).toMatchObject({
      type: 'payment_intent',
      client_secret: expect.stringMatching(/^pi_\w+_secret_\w+$/),
    });
  });

  it('the same create with one key, refused twice for expand[], creates nothing and saves nothing', async () => {
    const body = 'email=twice%40example.com&expand[]=no_such_field';
    const headers = { 'idempotency-key': 'twice-1' };
    const one = await raw(emu, 'POST', '/v1/customers', { body, headers });
    const two = await raw(emu, 'POST', '/v1/customers', { body, headers });
    expect(one.status).toBe(400);
    expect(two.status).toBe(400);
    // Validation failed: the endpoint never began, so no result is saved and none is replayed.
    expect(two.headers.get('idempotent-replayed')).toBeNull();
    expect((await stripe.customers.list({ email: 'twice@example.com' })).data).toHaveLength(0);
  });

  it('a 400 once the endpoint began is saved: the retry with the key is the same 400, replayed', async () => {
    const customer = await stripe.customers.create({ email: 'replay@example.com' });
    const body = `customer=${customer.id}&items[0][price]=price_does_not_exist`;
    const headers = { 'idempotency-key': 'replayed-400' };
    const one = await raw(emu, 'POST', '/v1/subscriptions', { body, headers });
    const two = await raw(emu, 'POST', '/v1/subscriptions', { body, headers });
    expect(one.status).toBe(400);
    expect(one.json).toMatchObject({ error: { code: 'resource_missing' } });
    expect(two.status).toBe(400);
    expect(two.text).toBe(one.text);
    expect(two.headers.get('idempotent-replayed')).toBe('true');
    expect(two.headers.get('original-request')).toBe(one.headers.get('request-id'));
    // Even once the price exists, the key answers the saved 400 (a new attempt needs a new key).
    const three = await raw(emu, 'POST', '/v1/subscriptions', { body, headers });
    expect(three.text).toBe(one.text);
  });
});

describe('unknown URLs (docs.stripe.com/api/errors)', () => {
  it('an endpoint the emulator does not serve is 404, not a lookup of an object called "search"', async () => {
    const res = await raw(emu, 'GET', '/v1/customers/search?query=email%3A%22a%40b.c%22');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('Unrecognized request URL') },
    });
    const missing = await raw(emu, 'GET', '/v1/customers/cus_missing');
    expect(missing.json).toMatchObject({ error: { code: 'resource_missing' } });
  });
});
