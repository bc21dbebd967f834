import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
});
afterAll(() => emu.close());

describe('events API', () => {
  it('records every change as an event with Stripe’s envelope', async () => {
    const customer = await stripe.customers.create({ email: 'e@example.com' }, { idempotencyKey: 'evt-key' });
    const event = (await stripe.events.list({ limit: 1 })).data[0]!;
    expect(Object.keys(event)).toEqual([
      'id',
      'object',
      'api_version',
      'created',
      'data',
      'livemode',
      'pending_webhooks',
      'request',
      'type',
    ]);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.created',
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 0,
      request: { id: expect.stringMatching(/^req_/), idempotency_key: 'evt-key' },
      data: { object: { id: customer.id, object: 'customer' } },
    });
    expect(event.data).not.toHaveProperty('previous_attributes');
    expect(await stripe.events.retrieve(event.id)).toEqual(event);
  });

  it('snapshots objects: later changes do not alter earlier events', async () => {
    const customer = await stripe.customers.create({ name: 'Before' });
    await stripe.customers.update(customer.id, { name: 'After' });
    const [updated, created] = (await stripe.events.list({ limit: 2 })).data;
    expect(updated).toMatchObject({
      type: 'customer.updated',
      data: { object: { name: 'After' }, previous_attributes: { name: 'Before' } },
    });
    expect(created).toMatchObject({ type: 'customer.created', data: { object: { name: 'Before' } } });
  });

  it('events caused by the clock have a null request', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'x' } }, quantity: 1 },
      ],
    });
    await emu.control().advanceClock(25 * 3600);
    const expired = (await stripe.events.list({ type: 'checkout.session.expired', limit: 1 })).data[0]!;
    expect(expired.request).toEqual({ id: null, idempotency_key: null });
    expect(expired.created).toBe(session.expires_at);
  });

  it('filters by type (with wildcards), types[] and created', async () => {
    const before = (await stripe.events.list({ limit: 1 })).data[0]!.created;
    await emu.control().advanceClock(100);
    const product = await stripe.products.create({
      name: 'Filter me',
      default_price_data: { currency: 'usd', unit_amount: 100 },
    });
    const wildcard = await stripe.events.list({ type: 'price.*' });
    expect(wildcard.data[0]).toMatchObject({
      type: 'price.created',
      data: { object: { product: product.id } },
    });
    const both = await stripe.events.list({
      types: ['product.created', 'price.created'],
      created: { gt: before },
    });
    expect(both.data.map((e) => e.type)).toEqual(['price.created', 'product.created']);
    const none = await stripe.events.list({ created: { lt: 0 } });
    expect(none.data).toEqual([]);
    await expect(stripe.events.retrieve('evt_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('paginates events like any list', async () => {
    const all = await stripe.events.list({ limit: 2 }).autoPagingToArray({ limit: 500 });
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const created = all.map((e) => e.created);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });
});
