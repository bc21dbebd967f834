import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import {
  cancelSubscriptionNow,
  chargeablePaymentMethod,
  currentPeriodEnd,
  currentPeriodStart,
  invoiceSubscriptionNow,
  replaceSubscriptionItems,
  startSubscription,
} from '../billing';
import { behaviorOf, resolvePaymentMethodParam } from '../cards';
import { runDueWork } from '../clock';
import type { Ctx } from '../context';
import { cardError, invalidRequest, missingParam } from '../errors';
import { emitEvent, previousAttributes } from '../events';
import { createProrations, type ProrationChange } from '../invoice-items';
import { paginate } from '../list';
import {
  applyMetadata,
  array,
  bool,
  emptyable,
  inRange,
  int,
  metadata,
  object,
  oneOf,
  paginationShape,
  parseParams,
  range,
  required,
  str,
  timestamp,
} from '../params';
import { clone } from '../store';

const STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
] as const;

function requireRecurringPrice(ctx: Ctx, id: string, param: string): Stripe.Price {
  const price = ctx.book.prices.require(id, param);
  if (price.type !== 'recurring') {
    throw invalidRequest(
      `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
      param,
    );
  }
  if (!price.active) {
    throw invalidRequest('The price specified is inactive. This field only accepts active prices.', param);
  }
  return price;
}

const createShape = {
  customer: required(str()),
  items: array(
    required(
      object(
        { price: str(), quantity: int({ min: 0 }), metadata: metadata() },
        { known: ['discounts', 'price_data', 'tax_rates', 'billing_thresholds', 'plan'] },
      ),
    ),
    { max: 20 },
  ),
  metadata: metadata(),
  description: str({ max: 500 }),
  trial_period_days: int({ min: 0, max: 730 }),
  trial_end: timestamp({ allowNow: true }),
  trial_from_plan: bool(),
  default_payment_method: str(),
  payment_behavior: oneOf([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]),
  cancel_at_period_end: bool(),
  collection_method: oneOf(['charge_automatically', 'send_invoice']),
  proration_behavior: oneOf(['always_invoice', 'create_prorations', 'none']),
  off_session: bool(),
};

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'SubscriptionCreateParams');
  if (p.collection_method === 'send_invoice') {
    throw invalidRequest(
      'The Paywire Stripe emulator only supports `collection_method=charge_automatically`.',
      'collection_method',
    );
  }
  const customer = book.customers.require(p.customer, 'customer');
  if (!p.items || p.items.length === 0) throw missingParam('items');
  const items = p.items.map((item, i) => {
    if (!item.price) throw missingParam(`items[${i}][price]`);
    return {
      price: requireRecurringPrice(ctx, item.price, `items[${i}][price]`),
      quantity: item.quantity ?? 1,
      metadata: applyMetadata({}, item.metadata),
    };
  });
  if (new Set(items.map((i) => i.price.currency)).size > 1) {
    throw invalidRequest('All prices on a subscription must have the same currency.', 'items');
  }
  const now = book.now();
  let trialEnd: number | undefined;
  if (p.trial_end !== undefined && p.trial_end !== 'now') trialEnd = p.trial_end;
  else if (p.trial_period_days) trialEnd = now + p.trial_period_days * 86400;
  else if (p.trial_from_plan && items[0]!.price.recurring?.trial_period_days) {
    trialEnd = now + items[0]!.price.recurring.trial_period_days * 86400;
  }
  if (trialEnd !== undefined && trialEnd <= now) {
    throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
  }
  const pm = p.default_payment_method
    ? resolvePaymentMethodParam(ctx, p.default_payment_method, 'default_payment_method')
    : undefined;
  if (pm?.customer && pm.customer !== customer.id) {
    throw invalidRequest('The payment method must be attached to the customer.', 'default_payment_method');
  }
  const behavior = p.payment_behavior ?? 'allow_incomplete';
  const amount = items.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * i.quantity, 0);
  const chargeNow = trialEnd === undefined && amount > 0 && behavior !== 'default_incomplete';
  if (chargeNow) {
    const probe = { parent: null, customer: customer.id } as unknown as Stripe.Invoice;
    const usable = pm ?? chargeablePaymentMethod(book, probe);
    if (!usable) {
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
        undefined,
        'resource_missing',
      );
    }
    const b = book.customerBehavior.get(customer.id);
    if (behavior === 'error_if_incomplete' && (b?.fail || behaviorOf(ctx, usable.id).outcome === 'decline')) {
      throw cardError('Your card was declined.', 'card_declined', b?.declineCode ?? 'generic_decline');
    }
  }
  if (pm && !pm.customer) {
    pm.customer = customer.id;
    emitEvent(ctx, 'payment_method.attached', pm);
  }
  const started = startSubscription(
    ctx,
    {
      customer,
      items,
      metadata: applyMetadata({}, p.metadata),
      description: p.description,
      trialEnd,
      defaultPaymentMethod: pm?.id ?? null,
      cancelAtPeriodEnd: p.cancel_at_period_end,
    },
    { pay: chargeNow, paymentMethod: pm },
  );
  return started.subscription;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.subscriptions.require(pathParam(req, 'id'));
}

const updateShape = {
  items: array(
    required(
      object(
        { id: str(), price: str(), quantity: int({ min: 0 }), deleted: bool(), metadata: metadata() },
        { known: ['clear_usage', 'discounts', 'price_data', 'tax_rates', 'billing_thresholds', 'plan'] },
      ),
    ),
    { max: 20 },
  ),
  metadata: metadata(),
  description: emptyable(str({ max: 500 })),
  cancel_at_period_end: bool(),
  cancel_at: emptyable(timestamp()),
  cancellation_details: object({
    comment: emptyable(str({ max: 5000 })),
    feedback: emptyable(
      oneOf([
        'customer_service',
        'low_quality',
        'missing_features',
        'other',
        'switched_service',
        'too_complex',
        'too_expensive',
        'unused',
      ]),
    ),
  }),
  default_payment_method: emptyable(str()),
  trial_end: timestamp({ allowNow: true }),
  proration_behavior: oneOf(['always_invoice', 'create_prorations', 'none']),
  payment_behavior: oneOf([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]),
  off_session: bool(),
  pause_collection: emptyable(
    object({ behavior: required(oneOf(['keep_as_draft', 'mark_uncollectible', 'void'])), resumes_at: int() }),
  ),
};

type UpdateParams = ReturnType<typeof parseUpdate>;

function parseUpdate(req: ApiRequest) {
  return parseParams(req.params, updateShape, 'SubscriptionUpdateParams');
}

/**
 * `POST /v1/subscriptions/:id`: every parameter is checked before anything changes, then the
 * change is applied in steps; a price or quantity change creates prorations as
 * `proration_behavior` says (https://docs.stripe.com/billing/subscriptions/prorations).
 */
function update(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const sub = book.subscriptions.require(pathParam(req, 'id'));
  const p = parseUpdate(req);
  const terminal = sub.status === 'canceled' || sub.status === 'incomplete_expired';
  if (terminal) refuseTerminalChanges(req);
  const itemChanges = p.items?.map((item, i) => ({
    id: item.id,
    price: item.price ? requireRecurringPrice(ctx, item.price, `items[${i}][price]`) : undefined,
    quantity: item.quantity,
    deleted: item.deleted,
    metadata: item.metadata === undefined ? undefined : applyMetadata({}, item.metadata),
  }));
  const dpm = resolveDefaultPaymentMethod(ctx, sub, p);
  const now = book.now();
  const before = clone(sub);
  const itemsBefore = itemSnapshot(sub);
  const periodBefore = { start: currentPeriodStart(sub), end: currentPeriodEnd(sub) };
  let intervalChanged = false;
  if (itemChanges) intervalChanged = replaceSubscriptionItems(ctx, sub, itemChanges).intervalChanged;
  if (p.metadata !== undefined) sub.metadata = applyMetadata(sub.metadata, p.metadata);
  if (p.description !== undefined) sub.description = p.description;
  if (dpm !== undefined) sub.default_payment_method = dpm?.id ?? null;
  if (p.pause_collection !== undefined) {
    sub.pause_collection = p.pause_collection
      ? { behavior: p.pause_collection.behavior, resumes_at: p.pause_collection.resumes_at ?? null }
      : null;
  }
  applyCancellationDetails(sub, p);
  if (!terminal) applyCancelAt(sub, p, now);
  const endTrialNow = !terminal && applyTrialEnd(sub, p, now);
  const behavior = p.proration_behavior ?? 'create_prorations';
  const prorate =
    itemChanges && !intervalChanged && !terminal && behavior !== 'none' && sub.status !== 'trialing';
  const prorations = prorate
    ? createProrations(ctx, sub, itemChangesSince(itemsBefore, sub), periodBefore, productNameOf(ctx))
    : [];
  const prev = previousAttributes(before, sub);
  if (Object.keys(prev).length > 0) emitEvent(ctx, 'customer.subscription.updated', sub, prev);
  if (intervalChanged && sub.status !== 'trialing' && !terminal) invoiceSubscriptionNow(ctx, sub);
  else if (behavior === 'always_invoice' && prorations.length > 0) {
    invoiceSubscriptionNow(ctx, sub, { bill: 'pending_items' });
  }
  if (endTrialNow) ctx.emitted.push(...runDueWork(ctx.runtime, book, now, ctx));
  return sub;
}

function refuseTerminalChanges(req: ApiRequest): void {
  const allowed = new Set(['metadata', 'cancellation_details', 'expand']);
  const offending = Object.keys(req.params).find((k) => !allowed.has(k));
  if (offending) {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
      offending,
      'subscription_canceled',
    );
  }
}

function resolveDefaultPaymentMethod(ctx: Ctx, sub: Stripe.Subscription, p: UpdateParams) {
  if (p.default_payment_method === undefined) return undefined;
  if (p.default_payment_method === null) return null;
  const dpm = resolvePaymentMethodParam(ctx, p.default_payment_method, 'default_payment_method');
  if (dpm.customer !== sub.customer) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${dpm.id}. The payment method must be attached to the customer.`,
      'default_payment_method',
    );
  }
  return dpm;
}

function applyCancellationDetails(sub: Stripe.Subscription, p: UpdateParams): void {
  if (!p.cancellation_details) return;
  const cd = sub.cancellation_details ?? {
    comment: null,
    feedback: null,
    feedback_option: null,
    reason: null,
  };
  if (p.cancellation_details.comment !== undefined) cd.comment = p.cancellation_details.comment;
  if (p.cancellation_details.feedback !== undefined) cd.feedback = p.cancellation_details.feedback;
  sub.cancellation_details = cd;
}

function requestCancellation(sub: Stripe.Subscription, reason: 'cancellation_requested' | null): void {
  sub.cancellation_details = {
    ...(sub.cancellation_details ?? { comment: null, feedback: null, feedback_option: null }),
    reason,
  };
}

/** `cancel_at_period_end` and `cancel_at`. */
function applyCancelAt(sub: Stripe.Subscription, p: UpdateParams, now: number): void {
  if (p.cancel_at_period_end !== undefined) {
    sub.cancel_at_period_end = p.cancel_at_period_end;
    sub.cancel_at = p.cancel_at_period_end ? currentPeriodEnd(sub) : null;
    sub.canceled_at = p.cancel_at_period_end ? now : null;
    requestCancellation(sub, p.cancel_at_period_end ? 'cancellation_requested' : null);
  }
  if (p.cancel_at === undefined) return;
  if (p.cancel_at === null) {
    sub.cancel_at = null;
    sub.canceled_at = null;
    sub.cancel_at_period_end = false;
    return;
  }
  if ((p.cancel_at as number) <= now) throw invalidRequest('cancel_at must be in the future.', 'cancel_at');
  sub.cancel_at = p.cancel_at as number;
  sub.cancel_at_period_end = sub.cancel_at === currentPeriodEnd(sub);
  sub.canceled_at = now;
  requestCancellation(sub, 'cancellation_requested');
}

/** `trial_end`: a new end, or `now` (returns true: the trial's end is processed at once). */
function applyTrialEnd(sub: Stripe.Subscription, p: UpdateParams, now: number): boolean {
  if (p.trial_end === undefined) return false;
  if (p.trial_end === 'now') {
    if (sub.status !== 'trialing') return false;
    sub.trial_end = now;
    for (const item of sub.items.data) item.current_period_end = now;
    return true;
  }
  if (p.trial_end <= now) {
    throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
  }
  sub.trial_end = p.trial_end;
  sub.trial_start = sub.trial_start ?? now;
  sub.status = 'trialing';
  for (const item of sub.items.data) item.current_period_end = p.trial_end;
  return false;
}

type ItemSnapshot = Map<string, { price: Stripe.Price; quantity: number }>;

function itemSnapshot(sub: Stripe.Subscription): ItemSnapshot {
  return new Map(sub.items.data.map((i) => [i.id, { price: clone(i.price), quantity: i.quantity ?? 1 }]));
}

/** What changed per item since `before`: the prorations' credited and charged amounts. */
function itemChangesSince(before: ItemSnapshot, sub: Stripe.Subscription): ProrationChange[] {
  const changes: ProrationChange[] = [];
  const now = itemSnapshot(sub);
  for (const [id, to] of now) {
    const from = before.get(id) ?? null;
    if (from && from.price.id === to.price.id && from.quantity === to.quantity) continue;
    changes.push({ item: id, from, to });
  }
  for (const [id, from] of before) if (!now.has(id)) changes.push({ item: id, from, to: null });
  return changes;
}

function productNameOf(ctx: Ctx): (price: Stripe.Price) => string {
  return (price) => ctx.book.products.get(price.product as string)?.name ?? price.id;
}

function cancel(req: ApiRequest) {
  const { ctx } = req;
  const sub = ctx.book.subscriptions.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    {
      invoice_now: bool(),
      prorate: bool(),
      cancellation_details: object({
        comment: emptyable(str({ max: 5000 })),
        feedback: emptyable(
          oneOf([
            'customer_service',
            'low_quality',
            'missing_features',
            'other',
            'switched_service',
            'too_complex',
            'too_expensive',
            'unused',
          ]),
        ),
      }),
    },
    'SubscriptionCancelParams',
  );
  cancelSubscriptionNow(ctx, sub, {
    reason: 'cancellation_requested',
    comment: p.cancellation_details?.comment ?? null,
    feedback: p.cancellation_details?.feedback ?? null,
  });
  return sub;
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      customer: str(),
      price: str(),
      plan: str(),
      status: oneOf(STATUSES),
      created: range(),
      current_period_end: range(),
      current_period_start: range(),
      collection_method: oneOf(['charge_automatically', 'send_invoice']),
    },
    'SubscriptionListParams',
  );
  return paginate(book.subscriptions.newestFirst(), p, '/v1/subscriptions', 'subscription', (s) => {
    if (p.customer !== undefined && s.customer !== p.customer) return false;
    const priceFilter = p.price ?? p.plan;
    if (priceFilter !== undefined && !s.items.data.some((i) => i.price.id === priceFilter)) return false;
    const status = p.status;
    if (status === undefined) {
      // Stripe's default excludes canceled subscriptions.
      if (s.status === 'canceled' || s.status === 'incomplete_expired') return false;
    } else if (status === 'ended') {
      if (s.status !== 'canceled' && s.status !== 'incomplete_expired') return false;
    } else if (status !== 'all' && s.status !== status) {
      return false;
    }
    if (p.collection_method !== undefined && s.collection_method !== p.collection_method) return false;
    if (!inRange(currentPeriodEnd(s), p.current_period_end)) return false;
    if (!inRange(currentPeriodStart(s), p.current_period_start)) return false;
    return inRange(s.created, p.created);
  });
}

function listItems(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    { ...paginationShape, subscription: required(str()) },
    'SubscriptionItemListParams',
  );
  const sub = book.subscriptions.require(p.subscription, 'subscription');
  return paginate(sub.items.data, p, '/v1/subscription_items', 'subscription_item');
}

function retrieveItem(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.subscriptionItems.require(pathParam(req, 'id'));
}

export const subscriptionRoutes: ApiRoute[] = [
  route('POST', '/v1/subscriptions', create),
  route('GET', '/v1/subscriptions', list),
  route('GET', '/v1/subscriptions/:id', retrieve),
  route('POST', '/v1/subscriptions/:id', update),
  route('DELETE', '/v1/subscriptions/:id', cancel),
  route('GET', '/v1/subscription_items', listItems),
  route('GET', '/v1/subscription_items/:id', retrieveItem),
];
