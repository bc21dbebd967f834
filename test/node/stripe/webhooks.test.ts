import fc from 'fast-check';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, startEmulator, startReceiver, waitFor, waitForAsync } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;
let receiver: Receiver;
const webhooks = Stripe.webhooks;

beforeAll(async () => {
  emu = await startEmulator({ retrySchedule: [40, 80], deliveryOrder: 'strict' });
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
  receiver.respond(200);
});
afterEach(async () => {
  await control.resumeDeliveries();
});

async function endpoint(events: string[] = ['*'], extra: Partial<Stripe.WebhookEndpointCreateParams> = {}) {
  return stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: events as never, ...extra });
}

function eventOf(body: string): Stripe.Event {
  return JSON.parse(body) as Stripe.Event;
}

describe('webhook endpoints', () => {
  it('returns the secret only on create; lists, updates and deletes', async () => {
    const created = await endpoint(['customer.created', 'invoice.paid'], {
      api_version: Stripe.API_VERSION as never,
      description: 'Paywire',
      metadata: { env: 'test' },
    });
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      url: receiver.url,
      enabled_events: ['customer.created', 'invoice.paid'],
      api_version: Stripe.API_VERSION,
      status: 'enabled',
      livemode: false,
      description: 'Paywire',
    });
    expect(created.id).toMatch(/^we_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
    const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
    expect(retrieved).not.toHaveProperty('secret');
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((e) => e.id)).toEqual([created.id]);
    expect(listed.data[0]).not.toHaveProperty('secret');
    const disabled = await stripe.webhookEndpoints.update(created.id, { disabled: true });
    expect(disabled.status).toBe('disabled');
    expect(await stripe.webhookEndpoints.del(created.id)).toEqual({
      id: created.id,
      object: 'webhook_endpoint',
      deleted: true,
    });
    await expect(stripe.webhookEndpoints.retrieve(created.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('rejects unknown event types and missing params', async () => {
    await expect(endpoint(['customer.exploded'])).rejects.toMatchObject({
      statusCode: 400,
      param: 'enabled_events[0]',
    });
    await expect(stripe.webhookEndpoints.create({ enabled_events: ['*'] } as never)).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'url',
    });
    await expect(endpoint(['*'], { api_version: 'banana' as never })).rejects.toMatchObject({
      param: 'api_version',
    });
  });
});

describe('push delivery', () => {
  it('delivers signed events that verify with constructEventAsync; tampering or a wrong secret fails', async () => {
    const we = await endpoint();
    const customer = await stripe.customers.create({ email: 'hook@example.com' });
    const hook = await waitFor(() => receiver.received[0]);
    expect(hook.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hook.headers['user-agent']).toBe('Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    const signature = hook.headers['stripe-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v0=[0-9a-f]{64}$/);

    const event = await webhooks.constructEventAsync(hook.body, signature, we.secret!);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.created',
      livemode: false,
      api_version: Stripe.API_VERSION,
      pending_webhooks: 1,
      data: { object: { id: customer.id, email: 'hook@example.com' } },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.request?.id).toMatch(/^req_/);
    // The delivered event is the one the API lists.
    expect((await stripe.events.retrieve(event.id)).data.object).toEqual(event.data.object);

    const tampered = hook.body.replace('hook@example.com', 'evil@example.com');
    await expect(webhooks.constructEventAsync(tampered, signature, we.secret!)).rejects.toBeInstanceOf(
      Stripe.errors.StripeSignatureVerificationError,
    );
    await expect(
      webhooks.constructEventAsync(hook.body, signature, 'whsec_wrongwrongwrong'),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeSignatureVerificationError);
    // Our header is exactly what stripe-node's test helper generates for the same timestamp.
    const t = Number(/t=(\d+)/.exec(signature)![1]);
    const expected = await webhooks.generateTestHeaderStringAsync({
      payload: hook.body,
      secret: we.secret!,
      timestamp: t,
    });
    expect(signature.startsWith(expected)).toBe(true);
  });

  it('only delivers enabled types, pretty-printed, with the endpoint’s api_version', async () => {
    await endpoint(['product.created'], { api_version: '2025-03-31.basil' as never });
    await stripe.customers.create({});
    const product = await stripe.products.create({ name: 'Only this' });
    await control.flushDeliveries();
    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0]!.body;
    expect(body).toContain('\n  "id": "evt_');
    expect(eventOf(body)).toMatchObject({
      type: 'product.created',
      api_version: '2025-03-31.basil',
      data: { object: { id: product.id } },
    });
  });

  it('retries non-2xx responses with backoff and logs attempts', async () => {
    await endpoint(['customer.created']);
    receiver.respond((_req, index) => (index < 2 ? 500 : 204));
    await stripe.customers.create({});
    await waitFor(() => receiver.received.length >= 3);
    const at = receiver.received.map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(35);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(75);
    const { data } = await control.deliveries();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ status: 'succeeded', attempt_count: 3, event_type: 'customer.created' });
    expect(data[0]!.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
    const bodies = new Set(receiver.received.map((r) => r.body));
    expect(bodies.size).toBe(1);
  });

  it('gives up after the retry schedule; delivery_success=false finds the event', async () => {
    await endpoint(['customer.created']);
    receiver.respond(500);
    const customer = await stripe.customers.create({});
    await waitFor(() => receiver.received.length >= 3);
    await control.flushDeliveries();
    const { data, summary } = await control.deliveries();
    expect(data[0]).toMatchObject({ status: 'failed', attempt_count: 3, next_attempt_at_ms: null });
    expect(summary.failed).toBe(1);
    const undelivered = await stripe.events.list({ delivery_success: false });
    expect(undelivered.data.map((e) => (e.data.object as Stripe.Customer).id)).toEqual([customer.id]);
    expect(undelivered.data[0]!.pending_webhooks).toBe(1);
    expect((await stripe.events.list({ delivery_success: true })).data).toEqual([]);
  });

  it('reports a network failure as an attempt without status', async () => {
    const closed = await startReceiver();
    await closed.close();
    await stripe.webhookEndpoints.create({ url: closed.url, enabled_events: ['customer.created'] });
    await stripe.customers.create({});
    const attempt = await waitForAsync(async () =>
      (await control.deliveries()).data[0]?.attempts.find((a) => a.error),
    );
    expect(attempt).toMatchObject({ status: null, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('pauses and resumes; duplicates; redelivers', async () => {
    await endpoint(['customer.created']);
    await control.pauseDeliveries();
    await stripe.customers.create({});
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(0);
    expect((await control.deliveries()).summary.pending).toBe(1);
    await control.resumeDeliveries();
    await control.flushDeliveries();
    expect(receiver.received).toHaveLength(1);

    await control.setDeliveryMode({ duplicate: 2 });
    await stripe.customers.create({});
    await control.flushDeliveries();
    expect(receiver.received).toHaveLength(4);
    const ids = receiver.received.slice(1).map((r) => eventOf(r.body).id);
    expect(new Set(ids).size).toBe(1);
    await control.setDeliveryMode({ duplicate: 0 });

    const redelivered = await control.redeliver(ids[0]!);
    expect(redelivered.deliveries).toHaveLength(1);
    await control.flushDeliveries();
    expect(eventOf(receiver.received.at(-1)!.body).id).toBe(ids[0]);
  });

  it('reverses the delivery order (reverse: true); shuffling is the property test below', async () => {
    await endpoint(['customer.created']);
    await control.pauseDeliveries();
    const created: string[] = [];
    for (let i = 0; i < 6; i++)
      created.push((await stripe.customers.create({ metadata: { i: String(i) } })).id);
    await control.setDeliveryMode({ reverse: true });
    await control.resumeDeliveries();
    await control.flushDeliveries();
    const order = receiver.received.map((r) => (eventOf(r.body).data.object as Stripe.Customer).id);
    expect(order).toEqual([...created].reverse());
    await control.setDeliveryMode({ reverse: false });
  });

  it('shuffled delivery loses and duplicates nothing, for any seed', async () => {
    await endpoint(['customer.created', 'customer.updated']);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 6 }),
        async (seed, n) => {
          receiver.received.length = 0;
          await control.setDeliveryMode({ shuffle: true, seed });
          await control.pauseDeliveries();
          const events: string[] = [];
          for (let i = 0; i < n; i++) {
            const c = await stripe.customers.create({});
            await stripe.customers.update(c.id, { name: `n${i}` });
          }
          for (const e of (await stripe.events.list({ limit: 2 * n })).data) events.push(e.id);
          await control.resumeDeliveries();
          await control.flushDeliveries();
          const delivered = receiver.received.map((r) => eventOf(r.body).id);
          expect([...delivered].sort()).toEqual([...events].sort());
        },
      ),
      { numRuns: 8 },
    );
    await control.setDeliveryMode({ shuffle: false });
  });
});
