import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { type Receiver, startEmulator, startReceiver } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;

beforeAll(async () => {
  // Default options: the delivery order is Stripe's (none guaranteed).
  emu = await startEmulator();
  stripe = emu.client(undefined, { maxNetworkRetries: 0 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await emu.close();
});

describe('event envelope', () => {
  it('only *.updated events carry previous_attributes (docs.stripe.com/api/events/object#event_object-data-previous_attributes)', async () => {
    await emu.control().trigger('checkout.subscription');
    await emu.control().trigger('refund.partial');
    const events = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    const withPrevious = events.filter((e) => e.data.previous_attributes !== undefined).map((e) => e.type);
    expect(withPrevious.length).toBeGreaterThan(0);
    expect(withPrevious.filter((t) => !t.endsWith('.updated'))).toEqual([]);
    for (const type of ['invoice.paid', 'invoice.finalized', 'charge.refunded', 'invoice_payment.paid']) {
      const event = events.find((e) => e.type === type);
      expect(event, type).toBeDefined();
      expect(event!.data, type).not.toHaveProperty('previous_attributes');
    }
  });

  it('a flow’s events spread over seconds, never backwards (docs.stripe.com/webhooks#event-ordering)', async () => {
    const r = await emu.control().trigger('payment_intent.succeeded');
    const events = await Promise.all(r.events.map((e) => stripe.events.retrieve(e.id)));
    const created = events.map((e) => e.created);
    expect(new Set(created).size).toBeGreaterThan(1);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    const byType = Object.fromEntries(events.map((e) => [e.type, e.created]));
    expect(byType['charge.succeeded']).toBe(byType['payment_intent.created']! + 1);
  });

  it('by default deliveries do not follow the order events happened, and none is lost (docs.stripe.com/webhooks#event-ordering)', async () => {
    await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.created'] });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, (_, j) => stripe.customers.create({ email: `order${i}-${j}@example.com` })),
      );
      created.push(...batch.map((c) => c.id));
    }
    await emu.control().flushDeliveries();
    const delivered = receiver.received.map(
      (r) => (JSON.parse(r.body) as { data: { object: { id: string } } }).data.object.id,
    );
    expect([...delivered].sort()).toEqual([...created].sort());
    const eventOrder = (await stripe.events.list({ type: 'customer.created', limit: 100 })).data
      .map((e) => (e.data.object as Stripe.Customer).id)
      .reverse();
    expect(delivered).not.toEqual(eventOrder);
  });
});
