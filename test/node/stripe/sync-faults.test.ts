import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, raw, startEmulator, startReceiver } from './helpers';

// What a sync and its catch-up are tested against: lost deliveries, /v1/events filters,
// faults on list calls, and the call counters.

let emu: StripeEmulator;
let receiver: Receiver;
let n = 0;

beforeAll(async () => {
  emu = await startEmulator({ deliveryOrder: 'strict' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await emu.close();
  await receiver.close();
});

async function account() {
  const created = await emu.control().createAccount({ id: `acct_sync${++n}` });
  const key = created.test_secret_key;
  return { key, stripe: emu.client(key, { maxNetworkRetries: 0 }), control: emu.control(key) };
}

describe('dropped deliveries', () => {
  it('a drop rule loses the next N matching events: listed, pending_webhooks 1, delivery_success false, never received', async () => {
    const { stripe, control } = await account();
    await stripe.webhookEndpoints.create({ url: `${receiver.url}?drop`, enabled_events: ['*'] });
    const rule = await control.dropDeliveries({ types: ['product.*'], times: 2 });
    expect(rule).toMatchObject({ types: ['product.*'], remaining: 2, dropped: 0 });
    const lost1 = await stripe.products.create({ name: 'lost 1' });
    await stripe.customers.create({ email: 'kept@example.com' });
    const lost2 = await stripe.products.create({ name: 'lost 2' });
    const kept = await stripe.products.create({ name: 'kept' });
    await control.flushDeliveries();

    const receivedProducts = receiver.received
      .map((r) => JSON.parse(r.body) as Stripe.Event)
      .filter((e) => e.type === 'product.created')
      .map((e) => (e.data.object as Stripe.Product).id);
    expect(receivedProducts).toContain(kept.id);
    expect(receivedProducts).not.toContain(lost1.id);
    expect(receivedProducts).not.toContain(lost2.id);

    const undelivered = await stripe.events.list({ delivery_success: false, limit: 100 });
    expect(undelivered.data.map((e) => (e.data.object as { name?: string }).name)).toEqual([
      'lost 2',
      'lost 1',
    ]);
    expect(undelivered.data.every((e) => e.pending_webhooks === 1)).toBe(true);
    const delivered = await stripe.events.list({ delivery_success: true, limit: 100 });
    expect(delivered.data.map((e) => e.type).sort()).toEqual(['customer.created', 'product.created']);
    const log = await control.deliveries({ status: 'canceled' });
    expect(log.data.every((d) => d.dropped && d.attempt_count === 0)).toBe(true);
    expect((await control.dropRules()).data).toEqual([]);
  });

  it('drops queued deliveries of chosen events; a rule without times lasts until cleared', async () => {
    const { stripe, control } = await account();
    const endpoint = await stripe.webhookEndpoints.create({
      url: `${receiver.url}?queued`,
      enabled_events: ['*'],
    });
    await control.setEndpointMode(endpoint.id, 'pull');
    await stripe.customers.create({ email: 'a@example.com' });
    await stripe.customers.create({ email: 'b@example.com' });
    const [second, first] = (await stripe.events.list({ limit: 2 })).data;
    expect(await control.dropQueuedDeliveries([first!.id])).toEqual({ dropped: 1 });
    const pulled = await control.drainPull(async () => 200);
    expect(pulled.map((d) => d.event_id)).toEqual([second!.id]);

    await control.dropDeliveries();
    await stripe.customers.create({ email: 'c@example.com' });
    await stripe.products.create({ name: 'p' });
    expect(await control.drainPull(async () => 200)).toEqual([]);
    expect((await control.dropRules()).data[0]).toMatchObject({ types: null, remaining: null, dropped: 2 });
    expect(await control.clearDropRules()).toEqual({ cleared: 1 });
    await stripe.customers.create({ email: 'd@example.com' });
    expect(await control.drainPull(async () => 200)).toHaveLength(1);
  });
});

describe('GET /v1/events for catch-up', () => {
  it('created[gt]/[gte]/[lt]/[lte], types[], pages newest first without gaps; type and types together is an error', async () => {
    const { stripe, control, key } = await account();
    for (let i = 0; i < 25; i++) {
      await stripe.customers.create({ email: `e${i}@example.com` });
      if (i % 5 === 4) await control.advanceClock(10);
    }
    const all = await stripe.events.list({ limit: 100 });
    expect(all.data).toHaveLength(25);
    const mid = all.data[12]!.created;
    const gt = await stripe.events.list({ created: { gt: mid }, limit: 100 });
    expect(gt.data.every((e) => e.created > mid)).toBe(true);
    const gte = await stripe.events.list({ created: { gte: mid }, limit: 100 });
    expect(gte.data.length).toBeGreaterThan(gt.data.length);
    const lte = await stripe.events.list({ created: { lte: mid }, limit: 100 });
    expect(gt.data.length + lte.data.length).toBe(25);
    expect(
      (await stripe.events.list({ created: { lt: mid }, limit: 100 })).data.every((e) => e.created < mid),
    ).toBe(true);

    const paged = await stripe.events
      .list({ types: ['customer.created'], limit: 4 })
      .autoPagingToArray({ limit: 100 });
    expect(paged.map((e) => e.id)).toEqual(all.data.map((e) => e.id));
    const page = await raw(emu, 'GET', '/v1/events?type=customer.created&types[]=customer.created', { key });
    expect(page.status).toBe(400);
    expect(page.json).toMatchObject({ error: { type: 'invalid_request_error', param: 'types' } });
  });
});

describe('faults on list calls and counters', () => {
  it('429 with Stripe’s error and headers, a 500, a delay; `after` lets the first pages through', async () => {
    const { stripe, control, key } = await account();
    await control.seed({ products: 250 });
    await control.addFault({
      method: 'GET',
      path: '^/v1/products$',
      status: 429,
      after: 1,
      times: 1,
      retry_after: 2,
    });
    const first = await stripe.products.list({ limit: 100 });
    const limited = await raw(emu, 'GET', `/v1/products?limit=100&starting_after=${first.data.at(-1)!.id}`, {
      key,
    });
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('stripe-rate-limited-reason')).toBe('global-rate');
    expect(limited.headers.get('request-id')).toMatch(/^req_/);
    // The fault is used up: the same page now answers.
    const second = await stripe.products.list({ limit: 100, starting_after: first.data.at(-1)!.id });
    expect(second.data).toHaveLength(100);

    await control.addFault({ method: 'GET', path: '/v1/subscriptions', status: 500, times: 1 });
    const failed = await stripe.subscriptions.list().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(failed).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });

    await control.addFault({ method: 'GET', path: '/v1/customers', latency_ms: 300, times: 1 });
    const started = Date.now();
    await stripe.customers.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('counts API calls per method and route, list calls per resource, and objects created through the API', async () => {
    const { stripe, control } = await account();
    await control.seed({ products: 230, customers: 4 });
    await control.resetCounters();
    await control.addFault({ method: 'GET', path: '^/v1/products$', status: 429, times: 1 });
    await stripe.products.list({ limit: 100 }).catch(() => undefined);
    const all = await stripe.products.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(all).toHaveLength(230);
    await stripe.products.retrieve(all[0]!.id);
    await stripe.prices.list({ limit: 3 });
    const customer = await stripe.customers.create({ email: 'count@example.com' });
    await stripe.customers.update(customer.id, { name: 'Counted' });

    const counters = await control.counters();
    expect(counters.list_calls).toEqual({ products: 4, prices: 1 });
    expect(counters.api_calls).toEqual({
      'GET /v1/prices': 1,
      'GET /v1/products': 4,
      'GET /v1/products/:id': 1,
      'POST /v1/customers': 1,
      'POST /v1/customers/:id': 1,
    });
    expect(counters.api_calls_total).toBe(8);
    expect(counters.objects_created).toEqual({ customer: 1 });
    expect(counters.events).toEqual({ 'customer.created': 1, 'customer.updated': 1 });
    expect((await control.resetCounters()).api_calls_total).toBe(0);
  });
});
