import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { runTriggerCli, triggerFlow } from '../../../dev/stripe/trigger';
import { startEmulator } from './helpers';

let emu: StripeEmulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

/** Each trigger runs in its own account so sequences are not mixed. */
async function run(flow: string, options: Record<string, unknown> = {}) {
  const keys = emu.addAccount();
  const result = await emu.control(keys.testSecretKey).trigger(flow, options);
  return { ...result, stripe: emu.client(keys.testSecretKey), types: result.events.map((e) => e.type) };
}

const SUBSCRIPTION_CHECKOUT = [
  'customer.created',
  'payment_method.attached',
  'invoice.created',
  'invoice.finalized',
  'customer.subscription.created',
  'payment_intent.created',
  'invoice.updated',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice_payment.paid',
  'payment_intent.succeeded',
  'charge.succeeded',
  'customer.subscription.updated',
  'checkout.session.completed',
];
const RENEWAL_START = [
  'invoice.created',
  'customer.subscription.updated',
  'invoice.finalized',
  'payment_intent.created',
];
const FIXTURES = ['product.created', 'price.created'];

describe('triggers', () => {
  it('lists the flows', async () => {
    const { data } = await emu.control().triggers();
    expect(data.map((f) => f.flow)).toEqual(
      expect.arrayContaining([
        'checkout.payment',
        'checkout.subscription',
        'subscription.renewal',
        'subscription.past_due',
        'refund.partial',
        'product.lifecycle',
      ]),
    );
  });

  it('checkout.payment', async () => {
    const r = await run('checkout.payment', { metadata: { order: 'o1' }, client_reference_id: 'u1' });
    expect(r.types).toEqual([
      ...FIXTURES,
      'customer.created',
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
      'checkout.session.completed',
    ]);
    const session = await r.stripe.checkout.sessions.retrieve(r.objects.checkout_session!);
    expect(session).toMatchObject({
      customer: r.objects.customer,
      payment_intent: r.objects.payment_intent,
      metadata: { order: 'o1' },
      client_reference_id: 'u1',
    });
    const charge = await r.stripe.charges.retrieve(r.objects.charge!);
    expect(charge).toMatchObject({ payment_intent: r.objects.payment_intent, customer: r.objects.customer });
  });

  it('checkout.subscription: checkout → customer → subscription → invoice → payment', async () => {
    const r = await run('checkout.subscription', { subscription_metadata: { team: 't1' } });
    expect(r.types).toEqual([...FIXTURES, ...SUBSCRIPTION_CHECKOUT]);
    const { stripe, objects } = r;
    const session = await stripe.checkout.sessions.retrieve(objects.checkout_session!);
    const sub = await stripe.subscriptions.retrieve(session.subscription as string);
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string, { expand: ['payments'] });
    const pi = await stripe.paymentIntents.retrieve(
      invoice.payments!.data[0]!.payment.payment_intent as string,
    );
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(session.customer).toBe(objects.customer);
    expect(sub).toMatchObject({
      id: objects.subscription,
      customer: objects.customer,
      metadata: { team: 't1' },
    });
    expect(invoice).toMatchObject({ id: objects.invoice, customer: objects.customer });
    expect(invoice.parent?.subscription_details?.subscription).toBe(sub.id);
    expect(pi).toMatchObject({
      id: objects.payment_intent,
      customer: objects.customer,
      amount: invoice.amount_paid,
    });
    expect(charge).toMatchObject({
      id: objects.charge,
      customer: objects.customer,
      amount: invoice.amount_paid,
    });
  });

  it('subscription.renewal', async () => {
    const r = await run('subscription.renewal');
    expect(r.types).toEqual([
      ...FIXTURES,
      ...SUBSCRIPTION_CHECKOUT,
      ...RENEWAL_START,
      'invoice.updated',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
    const invoices = await r.stripe.invoices.list({ subscription: r.objects.subscription! });
    expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
      ['subscription_cycle', 'paid'],
      ['subscription_create', 'paid'],
    ]);
    // Events are created at the emulated time they happened, not when the trigger ran.
    const created = r.events.map((e) => e.created);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(created.at(-1)! - created[0]!).toBeGreaterThan(27 * 86400);
  });

  it('subscription.past_due, .canceled, .unpaid, .recovered', async () => {
    const pastDue = await run('subscription.past_due');
    expect(pastDue.types.slice(-9)).toEqual([
      ...RENEWAL_START,
      'charge.failed',
      'payment_intent.payment_failed',
      'invoice.updated',
      'invoice.payment_failed',
      'customer.subscription.updated',
    ]);
    const last = await pastDue.stripe.events.retrieve(pastDue.events.at(-1)!.id);
    expect(last.data.previous_attributes).toEqual({ status: 'active' });
    expect((last.data.object as Stripe.Subscription).status).toBe('past_due');

    const canceled = await run('subscription.canceled');
    expect(canceled.types.filter((t) => t === 'invoice.payment_failed')).toHaveLength(4);
    expect(canceled.types.at(-1)).toBe('customer.subscription.deleted');

    const unpaid = await run('subscription.unpaid');
    expect(unpaid.types.at(-1)).toBe('customer.subscription.updated');
    expect((await unpaid.stripe.subscriptions.retrieve(unpaid.objects.subscription!)).status).toBe('unpaid');

    const recovered = await run('subscription.recovered');
    expect(recovered.types.slice(-3)).toEqual([
      'payment_intent.succeeded',
      'charge.succeeded',
      'customer.subscription.updated',
    ]);
    expect((await recovered.stripe.subscriptions.retrieve(recovered.objects.subscription!)).status).toBe(
      'active',
    );
  });

  it('subscription.trial_end and subscription.cancel_at_period_end', async () => {
    const trial = await run('subscription.trial_end');
    expect(trial.types).toContain('customer.subscription.trial_will_end');
    expect((await trial.stripe.subscriptions.retrieve(trial.objects.subscription!)).status).toBe('active');
    const cancel = await run('subscription.cancel_at_period_end');
    expect(cancel.types.slice(-2)).toEqual([
      'customer.subscription.updated',
      'customer.subscription.deleted',
    ]);
  });

  it('refund.partial and refund.full', async () => {
    const partial = await run('refund.partial', { amount: 3000, refund_amount: 1000 });
    expect(partial.types.slice(-4)).toEqual([
      'charge.refunded',
      'refund.created',
      'charge.refund.updated',
      'refund.updated',
    ]);
    const charge = await partial.stripe.charges.retrieve(partial.objects.charge!);
    expect(charge).toMatchObject({ amount: 3000, amount_refunded: 1000, refunded: false });
    const full = await run('refund.full');
    expect((await full.stripe.charges.retrieve(full.objects.charge!)).refunded).toBe(true);
  });

  it('product.lifecycle and customer.lifecycle', async () => {
    const p = await run('product.lifecycle');
    expect(p.types).toEqual([
      'product.created',
      'price.created',
      'price.created',
      'product.updated',
      'price.updated',
      'product.updated',
    ]);
    const product = await p.stripe.products.retrieve(p.objects.product!);
    expect(product.active).toBe(false);
    const c = await run('customer.lifecycle');
    expect(c.types).toEqual(['customer.created', 'customer.updated', 'customer.deleted']);
  });

  it('runs every flow', async () => {
    const { data } = await emu.control().triggers();
    for (const { flow } of data) {
      const r = await run(flow);
      expect(r.events.length, flow).toBeGreaterThan(0);
    }
    await expect(run('no.such.flow')).rejects.toMatchObject({ status: 404 });
  });

  it('is usable from the CLI (`npm run stripe:trigger`)', async () => {
    const keys = emu.addAccount();
    const result = await triggerFlow({ url: emu.url, key: keys.testSecretKey, flow: 'customer.lifecycle' });
    expect(result.events.map((e) => e.type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.deleted',
    ]);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    try {
      const code = await runTriggerCli([
        'checkout.payment',
        '--url',
        emu.url,
        '--key',
        keys.testSecretKey,
        '--amount',
        '999',
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]).toBe('Triggered checkout.payment');
    expect(lines.join('\n')).toContain('checkout.session.completed');
  });
});
