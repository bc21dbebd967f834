/**
 * Generated Stripe histories, in the order Stripe would send them. Events of one step often
 * share the same second (as in real checkouts), so convergence cannot rely on `created` alone.
 */
import { event, type Obj, objects, type TestEvent, uniqueId, withItems } from './stripe-events';

const DAY = 86_400;

export interface SubscriptionLifecycle {
  renewals: number;
  pastDueThenRecover: boolean;
  cancel: 'none' | 'at_period_end' | 'immediately';
  trialDays: number;
}

export function subscriptionLifecycle(opts: SubscriptionLifecycle, t0 = 1_790_000_000): TestEvent[] {
  const events: TestEvent[] = [];
  const subject = { paywire_subject_type: 'team', paywire_subject_id: uniqueId('team') };
  const customer = objects.customer({ metadata: subject });
  const price = objects.price();
  const subscriptionId = uniqueId('sub');
  const itemId = uniqueId('si');
  let t = t0;
  let periodStart = t0;
  let periodEnd = t0 + (opts.trialDays > 0 ? opts.trialDays * DAY : 30 * DAY);
  let status = opts.trialDays > 0 ? 'trialing' : 'incomplete';
  let cancelAtPeriodEnd = false;

  const sub = (): Obj =>
    withItems(
      objects.subscription({
        id: subscriptionId,
        customer: customer.id,
        status,
        metadata: subject,
        cancel_at_period_end: cancelAtPeriodEnd,
        canceled_at: status === 'canceled' ? t : null,
        ended_at: status === 'canceled' ? t : null,
        trial_start: opts.trialDays > 0 ? t0 : null,
        trial_end: opts.trialDays > 0 ? t0 + opts.trialDays * DAY : null,
        created: t0,
      }),
      [
        objects.subscriptionItem({
          id: itemId,
          subscription: subscriptionId,
          price,
          quantity: 1,
          current_period_start: periodStart,
          current_period_end: periodEnd,
        }),
      ],
    );
  const invoicePaid = (amount: number, invoiceStatus: string) => {
    const pi = objects.paymentIntent({
      customer: customer.id,
      amount,
      status: invoiceStatus === 'paid' ? 'succeeded' : 'requires_payment_method',
      created: t,
    });
    const invoice = objects.invoice({
      customer: customer.id,
      status: invoiceStatus,
      total: amount,
      amount_due: amount,
      amount_paid: invoiceStatus === 'paid' ? amount : 0,
      created: t,
      status_transitions: {
        finalized_at: t,
        paid_at: invoiceStatus === 'paid' ? t : null,
        marked_uncollectible_at: null,
        voided_at: null,
      },
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subscriptionId, metadata: null },
        quote_details: null,
      },
      payments: {
        object: 'list',
        data: [{ object: 'invoice_payment', payment: { type: 'payment_intent', payment_intent: pi.id } }],
        has_more: false,
      },
    });
    return { pi, invoice };
  };

  // Checkout: customer, subscription created (incomplete or trialing), first invoice, active.
  events.push(event('customer.created', customer, { created: t }));
  events.push(event('customer.subscription.created', sub(), { created: t }));
  const first = invoicePaid(opts.trialDays > 0 ? 0 : 2000, 'paid');
  events.push(event('invoice.created', { ...first.invoice, status: 'draft' }, { created: t }));
  events.push(event('invoice.finalized', { ...first.invoice, status: 'open' }, { created: t }));
  events.push(event('invoice.paid', first.invoice, { created: t }));
  if (opts.trialDays === 0) {
    events.push(event('payment_intent.succeeded', first.pi, { created: t }));
    status = 'active';
    events.push(
      event('customer.subscription.updated', sub(), { created: t, previous: { status: 'incomplete' } }),
    );
  }
  events.push(
    event(
      'checkout.session.completed',
      objects.checkoutSession({
        mode: 'subscription',
        status: 'complete',
        payment_status: opts.trialDays > 0 ? 'no_payment_required' : 'paid',
        customer: customer.id,
        subscription: subscriptionId,
        payment_intent: null,
        amount_total: opts.trialDays > 0 ? 0 : 2000,
        currency: 'usd',
        metadata: subject,
        created: t,
      }),
      { created: t },
    ),
  );

  if (opts.trialDays > 0) {
    t = periodEnd;
    status = 'active';
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const paid = invoicePaid(2000, 'paid');
    events.push(event('invoice.paid', paid.invoice, { created: t }));
    events.push(event('payment_intent.succeeded', paid.pi, { created: t }));
    events.push(
      event('customer.subscription.updated', sub(), { created: t, previous: { status: 'trialing' } }),
    );
  }

  for (let i = 0; i < opts.renewals; i++) {
    t = periodEnd;
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const paid = invoicePaid(2000, 'paid');
    events.push(event('invoice.paid', paid.invoice, { created: t }));
    events.push(event('payment_intent.succeeded', paid.pi, { created: t }));
    events.push(event('customer.subscription.updated', sub(), { created: t, previous: { items: {} } }));
  }

  if (opts.pastDueThenRecover) {
    t = periodEnd;
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const failed = invoicePaid(2000, 'open');
    events.push(event('invoice.payment_failed', failed.invoice, { created: t }));
    events.push(event('payment_intent.payment_failed', failed.pi, { created: t }));
    status = 'past_due';
    events.push(
      event('customer.subscription.updated', sub(), { created: t, previous: { status: 'active' } }),
    );
    t += 3 * DAY;
    const recovered = {
      invoice: {
        ...failed.invoice,
        status: 'paid',
        amount_paid: 2000,
        status_transitions: {
          finalized_at: t - 3 * DAY,
          paid_at: t,
          marked_uncollectible_at: null,
          voided_at: null,
        },
      },
      pi: { ...failed.pi, status: 'succeeded' },
    };
    events.push(event('invoice.paid', recovered.invoice, { created: t }));
    events.push(event('payment_intent.succeeded', recovered.pi, { created: t }));
    status = 'active';
    events.push(
      event('customer.subscription.updated', sub(), { created: t, previous: { status: 'past_due' } }),
    );
  }

  if (opts.cancel === 'at_period_end') {
    t += DAY;
    cancelAtPeriodEnd = true;
    events.push(
      event('customer.subscription.updated', sub(), {
        created: t,
        previous: { cancel_at_period_end: false },
      }),
    );
    t = periodEnd;
    status = 'canceled';
    events.push(event('customer.subscription.deleted', sub(), { created: t }));
  } else if (opts.cancel === 'immediately') {
    t += DAY;
    status = 'canceled';
    events.push(event('customer.subscription.deleted', sub(), { created: t }));
  }
  return events;
}

export interface PaymentLifecycle {
  refunds: number[];
  amount: number;
}

/** A one-time checkout payment, then partial/full refunds. */
export function paymentLifecycle(opts: PaymentLifecycle, t0 = 1_790_000_000): TestEvent[] {
  const events: TestEvent[] = [];
  const subject = { paywire_subject_type: 'user', paywire_subject_id: uniqueId('user') };
  const customer = objects.customer({ metadata: subject });
  const pi = objects.paymentIntent({
    customer: customer.id,
    amount: opts.amount,
    status: 'succeeded',
    created: t0,
  });
  const charge = objects.charge({
    payment_intent: pi.id,
    customer: customer.id,
    amount: opts.amount,
    amount_refunded: 0,
    created: t0,
  });
  pi.latest_charge = charge.id;
  let t = t0;
  events.push(event('customer.created', customer, { created: t }));
  events.push(event('payment_intent.succeeded', pi, { created: t }));
  events.push(
    event(
      'checkout.session.completed',
      objects.checkoutSession({
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        customer: customer.id,
        payment_intent: pi.id,
        amount_total: opts.amount,
        currency: 'usd',
        client_reference_id: `${subject.paywire_subject_type}:${subject.paywire_subject_id}`,
        metadata: {},
      }),
      { created: t },
    ),
  );
  let refunded = 0;
  for (const amount of opts.refunds) {
    t += 3600;
    refunded = Math.min(opts.amount, refunded + amount);
    const refund = objects.refund({
      amount,
      charge: charge.id,
      payment_intent: pi.id,
      status: 'succeeded',
      customer: null,
      created: t,
    });
    events.push(
      event(
        'charge.refunded',
        { ...charge, amount_refunded: refunded, refunded: refunded === opts.amount },
        { created: t },
      ),
    );
    events.push(event('refund.created', refund, { created: t }));
  }
  return events;
}

export interface CatalogLifecycle {
  edits: number;
  archivePrice: boolean;
  deleteProduct: boolean;
}

/** A product and price, edited (some edits in the same second), archived, maybe deleted. */
export function catalogLifecycle(opts: CatalogLifecycle, t0 = 1_790_000_000): TestEvent[] {
  const events: TestEvent[] = [];
  let t = t0;
  const product = objects.product({ name: 'Plan', active: true, created: t0, updated: t0 });
  const price = objects.price({ product: product.id, active: true, unit_amount: 1000, created: t0 });
  events.push(event('product.created', product, { created: t }));
  events.push(event('price.created', price, { created: t }));
  for (let i = 0; i < opts.edits; i++) {
    // two edits land in the same second every other time
    if (i % 2 === 0) t += 1;
    product.name = `Plan v${i + 1}`;
    product.updated = t;
    events.push(
      event('product.updated', product, { created: t, previous: { name: i === 0 ? 'Plan' : `Plan v${i}` } }),
    );
  }
  if (opts.archivePrice) {
    t += 1;
    events.push(
      event('price.updated', { ...price, active: false }, { created: t, previous: { active: true } }),
    );
  }
  if (opts.deleteProduct) {
    t += 1;
    events.push(event('product.deleted', { ...product, active: false, deleted: true }, { created: t }));
  }
  return events;
}
