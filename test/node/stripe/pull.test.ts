import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, PulledDelivery, StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, startEmulator, startReceiver } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;

beforeAll(async () => {
  emu = await startEmulator({
    deliveryMode: 'pull',
    // Long enough that a loaded machine answers the control calls between due times.
    retrySchedule: [600],
    leaseMs: 1200,
    deliveryOrder: 'strict',
  });
  stripe = emu.client();
  control = emu.control();
});
afterAll(() => emu.close());
beforeEach(async () => {
  await control.reset();
});

// The Worker under test is not listening on a port (workerd), so it pulls deliveries.
const WORKER_URL = 'http://paywire.test/webhooks/stripe/test';

async function pullEndpoint(events: string[] = ['*']) {
  return stripe.webhookEndpoints.create({ url: WORKER_URL, enabled_events: events as never });
}

describe('pull mode', () => {
  it('hands out signed deliveries that verify, then 204 when none is due', async () => {
    const we = await pullEndpoint();
    expect(await control.nextDelivery()).toBeNull();
    const customer = await stripe.customers.create({ email: 'pull@example.com' });
    const d = (await control.nextDelivery(we.id)) as PulledDelivery;
    expect(d).toMatchObject({
      endpoint_id: we.id,
      event_type: 'customer.created',
      url: WORKER_URL,
      attempt: 1,
    });
    expect(d.headers['content-type']).toBe('application/json; charset=utf-8');
    const event = await Stripe.webhooks.constructEventAsync(
      d.body,
      d.headers['stripe-signature']!,
      we.secret!,
    );
    expect(event).toMatchObject({ id: d.event_id, data: { object: { id: customer.id } } });
    // Leased: not handed out again while the caller works on it.
    expect(await control.nextDelivery(we.id)).toBeNull();
    const reported = await control.reportDelivery(d.id, 200);
    expect(reported).toMatchObject({
      status: 'succeeded',
      attempts: [expect.objectContaining({ status: 200, mode: 'pull' })],
    });
    expect((await stripe.events.retrieve(d.event_id)).pending_webhooks).toBe(0);
  });

  it('schedules a retry after a non-2xx result, exactly as push mode would', async () => {
    const we = await pullEndpoint(['customer.created']);
    await stripe.customers.create({});
    const first = (await control.nextDelivery()) as PulledDelivery;
    await control.reportDelivery(first.id, 500);
    expect(await control.nextDelivery()).toBeNull();
    await new Promise((r) => setTimeout(r, 700));
    const second = (await control.nextDelivery()) as PulledDelivery;
    expect(second).toMatchObject({ id: first.id, attempt: 2, body: first.body });
    await control.reportDelivery(second.id, 500);
    await new Promise((r) => setTimeout(r, 700));
    // The schedule has one retry: the delivery has failed for good.
    expect(await control.nextDelivery()).toBeNull();
    const { data } = await control.deliveries({ endpoint: we.id });
    expect(data[0]).toMatchObject({ status: 'failed', attempt_count: 2 });
    expect(data[0]!.attempts.map((a) => a.status)).toEqual([500, 500]);
  });

  it('counts an unreported lease as a failed attempt', async () => {
    await pullEndpoint();
    await stripe.customers.create({});
    const d = (await control.nextDelivery()) as PulledDelivery;
    await new Promise((r) => setTimeout(r, 1300));
    // The expired lease is a failed attempt; the retry follows the schedule (600 ms).
    expect(await control.nextDelivery()).toBeNull();
    await new Promise((r) => setTimeout(r, 700));
    const again = (await control.nextDelivery()) as PulledDelivery;
    expect(again).toMatchObject({ id: d.id, attempt: 2 });
    const { data } = await control.deliveries();
    expect(data[0]!.attempts[0]).toMatchObject({
      status: null,
      error: expect.stringContaining('lease expired'),
    });
  });

  it('drains every due delivery in order with drainPull, and signs any event again on demand', async () => {
    const we = await pullEndpoint();
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 1000, product_data: { name: 'x' } }, quantity: 1 },
      ],
    });
    const completion = await control.completeCheckout(session.id);
    const seen: string[] = [];
    const deliver = async (d: PulledDelivery) => {
      await Stripe.webhooks.constructEventAsync(d.body, d.headers['stripe-signature']!, we.secret!);
      seen.push(d.event_type);
      return seen.length === 2 ? 500 : 200;
    };
    const drained = await control.drainPull(deliver);
    expect(drained.slice(0, 4).map((d) => d.status)).toEqual([200, 500, 200, 200]);
    expect(seen.slice(0, 4)).toEqual(completion.events.map((e) => e.type));
    // The failed one comes back once its backoff has passed (or at once with retryNow).
    await control.retryNow();
    await control.drainPull(deliver);
    const { data } = await control.deliveries();
    expect(data.every((d) => d.status === 'succeeded')).toBe(true);
    expect(
      data.find((d) => d.event_type === completion.events[1]!.type)!.attempts.map((a) => a.status),
    ).toEqual([500, 200]);

    const signed = await control.signedEvent(completion.events[0]!.id, { endpoint: we.id });
    const event = await Stripe.webhooks.constructEventAsync(
      signed.body,
      signed.headers['stripe-signature']!,
      we.secret!,
    );
    expect(event.id).toBe(completion.events[0]!.id);
    const withSecret = await control.signedEvent(completion.events[0]!.id, { secret: 'whsec_custom' });
    await expect(
      Stripe.webhooks.constructEventAsync(
        withSecret.body,
        withSecret.headers['stripe-signature']!,
        'whsec_custom',
      ),
    ).resolves.toMatchObject({ id: completion.events[0]!.id });
  });

  it('mixes push and pull per endpoint', async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const pushed = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['customer.created'],
      });
      await control.setEndpointMode(pushed.id, 'push');
      const pulled = await pullEndpoint(['customer.created']);
      await stripe.customers.create({});
      await control.flushDeliveries();
      expect(receiver.received).toHaveLength(1);
      const d = (await control.nextDelivery()) as PulledDelivery;
      expect(d.endpoint_id).toBe(pulled.id);
      expect(await control.nextDelivery()).toBeNull();
      const secret = await control.endpointSecret(pulled.id);
      expect(secret.secret).toMatch(/^whsec_/);
    } finally {
      await receiver.close();
    }
  });

  it('respects pause in pull mode', async () => {
    await pullEndpoint();
    await control.pauseDeliveries();
    await stripe.customers.create({});
    expect(await control.nextDelivery()).toBeNull();
    await control.resumeDeliveries();
    expect(await control.nextDelivery()).not.toBeNull();
  });
});
