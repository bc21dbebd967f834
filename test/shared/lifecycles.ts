/**
 * Generated Stripe histories, in the order Stripe would send them. Events of one step often
 * share the same second (as in real checkouts), so convergence cannot rely on `created` alone.
 *
 * Each history also says which rows the projection must end with (`expected`), from what the
 * generator knows of the story: the state each object was left in, and, where two versions of
 * an object share a second and carry no version signal of their own, the documented tie-break
 * (the greater event id wins, docs/projection.md). Event ids come from `eventId` when given
 * (random ids, as real ones do not sort in history order), else from uniqueId (ascending).
 */
import { event, type Obj, objects, type TestEvent, uniqueId, withItems } from './stripe-events';

const DAY = 86_400;

export type ProjectedTable =
  | 'products'
  | 'prices'
  | 'customers'
  | 'customer_mappings'
  | 'checkout_sessions'
  | 'subscriptions'
  | 'subscription_items'
  | 'payment_history';

/**
 * Final rows per table, keyed by the row's Stripe id (`stripe_<x>_id`, `stripe_object_id` for
 * payment_history, `stripe_customer_id` for customer_mappings), with the columns that tell its
 * state. Times are Unix seconds; `deleted` is "deleted_at is set".
 */
export type ExpectedRows = { [T in ProjectedTable]?: Record<string, Record<string, unknown>> };

export interface History {
  events: TestEvent[];
  expected: ExpectedRows;
}

export interface HistoryOptions {
  t0?: number;
  /** id of each next event (default: uniqueId('evt'), which sorts in history order) */
  eventId?: () => string;
}

/** Accumulates a history: events in order, and the row each one leaves behind. */
class Recorder {
  readonly events: TestEvent[] = [];
  readonly expected: ExpectedRows = {};
  constructor(private readonly eventId?: () => string) {}

  emit(type: string, object: Obj, options: { created: number; previous?: Obj }): TestEvent {
    const e = event(type, object, { ...options, id: this.eventId?.() });
    this.events.push(e);
    return e;
  }

  row(table: ProjectedTable, id: string, columns: Record<string, unknown>) {
    const rows = this.expected[table] ?? {};
    rows[id] = columns;
    this.expected[table] = rows;
  }

  history(): History {
    return { events: this.events, expected: this.expected };
  }
}

export interface SubscriptionLifecycle {
  renewals: number;
  pastDueThenRecover: boolean;
  cancel: 'none' | 'at_period_end' | 'immediately';
  trialDays: number;
}

export function subscriptionLifecycle(opts: SubscriptionLifecycle, t0 = 1_790_000_000): TestEvent[] {
  return subscriptionHistory(opts, { t0 }).events;
}

export function subscriptionHistory(
  opts: SubscriptionLifecycle,
  { t0 = 1_790_000_000, eventId }: HistoryOptions = {},
): History {
  const h = new Recorder(eventId);
  const subject = { paywire_subject_type: 'team', paywire_subject_id: uniqueId('team') };
  const customer = objects.customer({ metadata: subject });
  const customerId = customer.id as string;
  const price = objects.price();
  const subscriptionId = uniqueId('sub');
  const itemId = uniqueId('si');
  let t = t0;
  let periodStart = t0;
  let periodEnd = t0 + (opts.trialDays > 0 ? opts.trialDays * DAY : 30 * DAY);
  let status = opts.trialDays > 0 ? 'trialing' : 'incomplete';
  let cancelAtPeriodEnd = false;
  const subjectColumns = { subject_type: 'team', subject_id: subject.paywire_subject_id };

  const sub = (): Obj =>
    withItems(
      objects.subscription({
        id: subscriptionId,
        customer: customerId,
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
  // Every subscription event of this story is later in time or in status than the one before.
  const subscriptionEvent = (type: string, previous?: Obj) => {
    const e = h.emit(type, sub(), { created: t, ...(previous ? { previous } : {}) });
    h.row('subscriptions', subscriptionId, {
      status,
      cancel_at_period_end: cancelAtPeriodEnd,
      current_period_end: periodEnd,
      ...subjectColumns,
      source_event_id: e.id,
    });
    h.row('subscription_items', itemId, {
      stripe_subscription_id: subscriptionId,
      quantity: 1,
      current_period_end: periodEnd,
      deleted: false,
      source_event_id: e.id,
    });
  };
  const invoicePaid = (amount: number, invoiceStatus: string) => {
    const pi = objects.paymentIntent({
      customer: customerId,
      amount,
      status: invoiceStatus === 'paid' ? 'succeeded' : 'requires_payment_method',
      created: t,
    });
    const invoice = objects.invoice({
      customer: customerId,
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
  // Invoice and payment intent events of one object move forward in status (draft < open < paid).
  const paymentEvent = (type: string, object: Obj, kind: 'invoice' | 'payment_intent') => {
    const e = h.emit(type, object, { created: t });
    h.row('payment_history', object.id as string, {
      kind,
      status: object.status,
      amount: kind === 'invoice' ? object.total : object.amount,
      amount_refunded: 0,
      stripe_customer_id: customerId,
      ...subjectColumns,
      source_event_id: e.id,
    });
  };

  // Checkout: customer, subscription created (incomplete or trialing), first invoice, active.
  const created = h.emit('customer.created', customer, { created: t });
  h.row('customers', customerId, { email: customer.email, deleted: false, source_event_id: created.id });
  subscriptionEvent('customer.subscription.created');
  const first = invoicePaid(opts.trialDays > 0 ? 0 : 2000, 'paid');
  paymentEvent('invoice.created', { ...first.invoice, status: 'draft' }, 'invoice');
  paymentEvent('invoice.finalized', { ...first.invoice, status: 'open' }, 'invoice');
  paymentEvent('invoice.paid', first.invoice, 'invoice');
  if (opts.trialDays === 0) {
    paymentEvent('payment_intent.succeeded', first.pi, 'payment_intent');
    status = 'active';
    subscriptionEvent('customer.subscription.updated', { status: 'incomplete' });
  }
  const session = objects.checkoutSession({
    mode: 'subscription',
    status: 'complete',
    payment_status: opts.trialDays > 0 ? 'no_payment_required' : 'paid',
    customer: customerId,
    subscription: subscriptionId,
    payment_intent: null,
    amount_total: opts.trialDays > 0 ? 0 : 2000,
    currency: 'usd',
    metadata: subject,
    created: t,
  });
  h.emit('checkout.session.completed', session, { created: t });
  h.row('checkout_sessions', session.id as string, {
    status: 'completed',
    ...subjectColumns,
    stripe_customer_id: customerId,
    stripe_subscription_id: subscriptionId,
    stripe_payment_intent_id: null,
  });
  // the subject is seen in metadata (customer, subscription) and in the checkout: checkout wins
  h.row('customer_mappings', customerId, { ...subjectColumns, source: 'checkout' });

  if (opts.trialDays > 0) {
    t = periodEnd;
    status = 'active';
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const paid = invoicePaid(2000, 'paid');
    paymentEvent('invoice.paid', paid.invoice, 'invoice');
    paymentEvent('payment_intent.succeeded', paid.pi, 'payment_intent');
    subscriptionEvent('customer.subscription.updated', { status: 'trialing' });
  }

  for (let i = 0; i < opts.renewals; i++) {
    t = periodEnd;
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const paid = invoicePaid(2000, 'paid');
    paymentEvent('invoice.paid', paid.invoice, 'invoice');
    paymentEvent('payment_intent.succeeded', paid.pi, 'payment_intent');
    subscriptionEvent('customer.subscription.updated', { items: {} });
  }

  if (opts.pastDueThenRecover) {
    t = periodEnd;
    periodStart = t;
    periodEnd = t + 30 * DAY;
    const failed = invoicePaid(2000, 'open');
    paymentEvent('invoice.payment_failed', failed.invoice, 'invoice');
    paymentEvent('payment_intent.payment_failed', failed.pi, 'payment_intent');
    status = 'past_due';
    subscriptionEvent('customer.subscription.updated', { status: 'active' });
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
    paymentEvent('invoice.paid', recovered.invoice, 'invoice');
    paymentEvent('payment_intent.succeeded', recovered.pi, 'payment_intent');
    status = 'active';
    subscriptionEvent('customer.subscription.updated', { status: 'past_due' });
  }

  if (opts.cancel === 'at_period_end') {
    t += DAY;
    cancelAtPeriodEnd = true;
    subscriptionEvent('customer.subscription.updated', { cancel_at_period_end: false });
    t = periodEnd;
    status = 'canceled';
    subscriptionEvent('customer.subscription.deleted');
  } else if (opts.cancel === 'immediately') {
    t += DAY;
    status = 'canceled';
    subscriptionEvent('customer.subscription.deleted');
  }
  return h.history();
}

export interface PaymentLifecycle {
  refunds: number[];
  amount: number;
}

/** A one-time checkout payment, then partial/full refunds. */
export function paymentLifecycle(opts: PaymentLifecycle, t0 = 1_790_000_000): TestEvent[] {
  return paymentHistory(opts, { t0 }).events;
}

export function paymentHistory(
  opts: PaymentLifecycle,
  { t0 = 1_790_000_000, eventId }: HistoryOptions = {},
): History {
  const h = new Recorder(eventId);
  const subject = { paywire_subject_type: 'user', paywire_subject_id: uniqueId('user') };
  const subjectColumns = { subject_type: 'user', subject_id: subject.paywire_subject_id };
  const customer = objects.customer({ metadata: subject });
  const customerId = customer.id as string;
  const pi = objects.paymentIntent({
    customer: customerId,
    amount: opts.amount,
    status: 'succeeded',
    created: t0,
  });
  const charge = objects.charge({
    payment_intent: pi.id,
    customer: customerId,
    amount: opts.amount,
    amount_refunded: 0,
    created: t0,
  });
  pi.latest_charge = charge.id;
  let t = t0;
  const created = h.emit('customer.created', customer, { created: t });
  h.row('customers', customerId, { email: customer.email, deleted: false, source_event_id: created.id });
  const succeeded = h.emit('payment_intent.succeeded', pi, { created: t });
  const session = objects.checkoutSession({
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    customer: customerId,
    payment_intent: pi.id,
    amount_total: opts.amount,
    currency: 'usd',
    client_reference_id: `${subject.paywire_subject_type}:${subject.paywire_subject_id}`,
    metadata: {},
  });
  const completed = h.emit('checkout.session.completed', session, { created: t });
  const sessionId = session.id as string;
  h.row('checkout_sessions', sessionId, {
    status: 'completed',
    ...subjectColumns,
    stripe_customer_id: customerId,
    stripe_subscription_id: null,
    stripe_payment_intent_id: pi.id,
  });
  h.row('payment_history', sessionId, {
    kind: 'checkout_session',
    status: 'paid',
    amount: opts.amount,
    amount_refunded: 0,
    stripe_customer_id: customerId,
    ...subjectColumns,
    source_event_id: completed.id,
  });
  h.row('customer_mappings', customerId, { ...subjectColumns, source: 'checkout' });

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
    h.emit(
      'charge.refunded',
      { ...charge, amount_refunded: refunded, refunded: refunded === opts.amount },
      { created: t },
    );
    const e = h.emit('refund.created', refund, { created: t });
    // refunds name no customer: they take the payment's
    h.row('payment_history', refund.id as string, {
      kind: 'refund',
      status: 'succeeded',
      amount,
      amount_refunded: 0,
      stripe_customer_id: customerId,
      ...subjectColumns,
      source_event_id: e.id,
    });
  }
  // the refunded total only grows; the payment intent's own event keeps the row's version
  h.row('payment_history', pi.id as string, {
    kind: 'payment_intent',
    status: 'succeeded',
    amount: opts.amount,
    amount_refunded: refunded,
    stripe_customer_id: customerId,
    ...subjectColumns,
    source_event_id: succeeded.id,
  });
  return h.history();
}

export interface CatalogLifecycle {
  edits: number;
  archivePrice: boolean;
  deleteProduct: boolean;
}

/** A product and price, edited (some edits in the same second), archived, maybe deleted. */
export function catalogLifecycle(opts: CatalogLifecycle, t0 = 1_790_000_000): TestEvent[] {
  return catalogHistory(opts, { t0 }).events;
}

export function catalogHistory(
  opts: CatalogLifecycle,
  { t0 = 1_790_000_000, eventId }: HistoryOptions = {},
): History {
  const h = new Recorder(eventId);
  let t = t0;
  const product = objects.product({ name: 'Plan', active: true, created: t0, updated: t0 });
  const productId = product.id as string;
  const price = objects.price({ product: productId, active: true, unit_amount: 1000, created: t0 });
  const priceId = price.id as string;
  const productCreated = h.emit('product.created', product, { created: t });
  // The product version that must win: the latest second, and within one second (the same
  // `updated`, so the object itself says nothing) the greater event id.
  let winner = { t, id: productCreated.id, name: 'Plan' };
  const priceCreated = h.emit('price.created', price, { created: t });
  h.row('prices', priceId, {
    active: true,
    unit_amount: 1000,
    deleted: false,
    source_event_id: priceCreated.id,
  });
  for (let i = 0; i < opts.edits; i++) {
    // two edits land in the same second every other time
    if (i % 2 === 0) t += 1;
    const name = `Plan v${i + 1}`;
    product.name = name;
    product.updated = t;
    const e = h.emit('product.updated', product, {
      created: t,
      previous: { name: i === 0 ? 'Plan' : `Plan v${i}` },
    });
    if (t > winner.t || (t === winner.t && e.id > winner.id)) winner = { t, id: e.id, name };
  }
  h.row('products', productId, {
    name: winner.name,
    active: true,
    deleted: false,
    source_event_id: winner.id,
  });
  if (opts.archivePrice) {
    t += 1;
    const e = h.emit(
      'price.updated',
      { ...price, active: false },
      { created: t, previous: { active: true } },
    );
    h.row('prices', priceId, { active: false, unit_amount: 1000, deleted: false, source_event_id: e.id });
  }
  if (opts.deleteProduct) {
    t += 1;
    // a deletion lands on the live row whatever its version, with the deleted object's values
    const e = h.emit('product.deleted', { ...product, active: false, deleted: true }, { created: t });
    h.row('products', productId, { name: product.name, active: false, deleted: true, source_event_id: e.id });
  }
  return h.history();
}
