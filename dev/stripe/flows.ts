import type Stripe from 'stripe';
import type { ApiHandler } from './api';
import { currentPeriodEnd, INVOICE_FINALIZE_DELAY } from './billing';
import {
  type CheckoutCompletion,
  type CheckoutPaymentMethod,
  completeCheckoutSession,
  settleAsyncCheckoutPayment,
} from './checkout';
import { advanceClock } from './clock';
import type { Ctx } from './context';
import { invalidRequest, StripeApiError } from './errors';
import { toForm } from './form';
import { newId } from './ids';
import { REFUND_REFERENCE_DELAY } from './payments';
import { Router } from './router';
import { apiRoutes } from './routes';

const DAY = 86400;

/** Options a trigger accepts (all optional): reuse objects or shape the ones it creates. */
export interface TriggerOptions {
  price?: string;
  customer?: string;
  amount?: number;
  currency?: string;
  interval?: 'day' | 'week' | 'month' | 'year';
  email?: string;
  name?: string;
  metadata?: Record<string, string>;
  client_reference_id?: string;
  subscription_metadata?: Record<string, string>;
  trial_period_days?: number;
  refund_amount?: number;
  payment_method?: CheckoutPaymentMethod;
}

export interface TriggerResult {
  flow: string;
  objects: Record<string, string | null>;
  events: Array<{ id: string; type: string; created: number }>;
}

const router = new Router<ApiHandler>();
for (const r of apiRoutes) router.add(r.method, r.path, r.handler);

/**
 * Calls an API handler in-process, as `stripe trigger` calls the API: each call gets its own
 * request id on the events it causes. Errors surface as Stripe errors.
 */
export function callApi<T>(
  ctx: Ctx,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  params: Record<string, unknown> = {},
): T {
  const match = router.match(method, path);
  if (!match || match === 'method_not_allowed') throw new Error(`no route ${method} ${path}`);
  const sub: Ctx = { ...ctx, request: { id: newId('request'), idempotency_key: null } };
  return match.handler({ method, path, params: toForm(params), pathParams: match.params, ctx: sub }) as T;
}

function ensurePrice(ctx: Ctx, opts: TriggerOptions, recurring: boolean): Stripe.Price {
  if (opts.price) {
    const price = ctx.book.prices.require(opts.price, 'price');
    if ((price.type === 'recurring') !== recurring) {
      throw invalidRequest(`This flow needs a ${recurring ? 'recurring' : 'one-time'} price.`, 'price');
    }
    return price;
  }
  const product = callApi<Stripe.Product>(ctx, 'POST', '/v1/products', {
    name: recurring ? 'Paywire Pro (trigger)' : 'Paywire Credits (trigger)',
    metadata: recurring ? { plan: 'pro' } : { credits: '100' },
  });
  return callApi<Stripe.Price>(ctx, 'POST', '/v1/prices', {
    product: product.id,
    currency: opts.currency ?? 'usd',
    unit_amount: opts.amount ?? (recurring ? 1500 : 2000),
    ...(recurring ? { recurring: { interval: opts.interval ?? 'month' } } : {}),
  });
}

function createSession(
  ctx: Ctx,
  opts: TriggerOptions,
  mode: 'payment' | 'subscription',
  extra: Record<string, unknown> = {},
) {
  const price = ensurePrice(ctx, opts, mode === 'subscription');
  return callApi<Stripe.Checkout.Session>(ctx, 'POST', '/v1/checkout/sessions', {
    mode,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'http://localhost/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://localhost/cancel',
    ...(opts.customer
      ? { customer: opts.customer }
      : mode === 'payment'
        ? { customer_creation: 'always' }
        : {}),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
    ...(opts.client_reference_id ? { client_reference_id: opts.client_reference_id } : {}),
    ...(mode === 'subscription' && (opts.subscription_metadata || opts.trial_period_days)
      ? {
          subscription_data: {
            ...(opts.subscription_metadata ? { metadata: opts.subscription_metadata } : {}),
            ...(opts.trial_period_days ? { trial_period_days: opts.trial_period_days } : {}),
          },
        }
      : {}),
    ...extra,
  });
}

function completion(c: CheckoutCompletion): Record<string, string | null> {
  return {
    checkout_session: c.session.id,
    customer: c.customer,
    payment_intent: c.payment_intent,
    charge: c.charge,
    subscription: c.subscription,
    invoice: c.invoice,
    payment_method: c.payment_method,
  };
}

function complete(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  opts: TriggerOptions,
  method?: CheckoutPaymentMethod,
) {
  const result = completeCheckoutSession(ctx, session, {
    paymentMethod: method ?? opts.payment_method ?? 'card_ok',
    email: opts.email ?? null,
    name: opts.name ?? null,
  });
  if (result.outcome === 'failed' && (method ?? opts.payment_method ?? 'card_ok') === 'card_ok') {
    throw invalidRequest(result.error?.message ?? 'Checkout failed', undefined, result.error?.code);
  }
  return result;
}

function advance(ctx: Ctx, seconds: number): void {
  // Work done by the clock is reported with the trigger's events.
  ctx.emitted.push(...advanceClock(ctx.runtime, ctx.book, seconds));
}

/** Seconds until a subscription's renewal invoice has been finalized and charged. */
function untilRenewalCharged(ctx: Ctx, sub: Stripe.Subscription): number {
  return currentPeriodEnd(sub) - ctx.book.now() + INVOICE_FINALIZE_DELAY + 1;
}

function subscriptionCheckout(ctx: Ctx, opts: TriggerOptions) {
  const session = createSession(ctx, opts, 'subscription');
  const result = complete(ctx, session, opts);
  const sub = ctx.book.subscriptions.require(result.subscription!, 'subscription');
  return { result, sub };
}

function pastDue(ctx: Ctx, opts: TriggerOptions) {
  const { result, sub } = subscriptionCheckout(ctx, opts);
  ctx.book.customerBehavior.set(sub.customer as string, { fail: true, declineCode: 'insufficient_funds' });
  advance(ctx, untilRenewalCharged(ctx, sub));
  return { result, sub };
}

function exhaustDunning(ctx: Ctx): void {
  const days = ctx.book.dunning.retryDays.reduce((a, b) => a + b, 0);
  advance(ctx, days * DAY + 60);
}

type FlowRun = (ctx: Ctx, opts: TriggerOptions) => Record<string, string | null>;

export const FLOWS: Record<string, { description: string; run: FlowRun }> = {
  'checkout.payment': {
    description:
      'One-time Checkout paid by card: customer.created, payment_intent.*, charge.succeeded, checkout.session.completed',
    run: (ctx, opts) => completion(complete(ctx, createSession(ctx, opts, 'payment'), opts)),
  },
  'checkout.payment.failed': {
    description:
      'One-time Checkout with a declined card: charge.failed, payment_intent.payment_failed; session stays open',
    run: (ctx, opts) => completion(complete(ctx, createSession(ctx, opts, 'payment'), opts, 'card_declined')),
  },
  'checkout.payment.async': {
    description:
      'One-time Checkout with a delayed payment method that later succeeds (async_payment_succeeded)',
    run: (ctx, opts) => {
      const session = createSession(ctx, opts, 'payment');
      complete(ctx, session, opts, 'async');
      return completion(settleAsyncCheckoutPayment(ctx, session, true));
    },
  },
  'checkout.payment.async_failed': {
    description: 'One-time Checkout with a delayed payment method that later fails (async_payment_failed)',
    run: (ctx, opts) => {
      const session = createSession(ctx, opts, 'payment');
      complete(ctx, session, opts, 'async');
      return completion(settleAsyncCheckoutPayment(ctx, session, false));
    },
  },
  'checkout.subscription': {
    description:
      'Subscription Checkout: customer, subscription + first invoice paid, checkout.session.completed',
    run: (ctx, opts) => completion(subscriptionCheckout(ctx, opts).result),
  },
  'checkout.subscription.trial': {
    description: 'Subscription Checkout with a trial (default 7 days): $0 first invoice, status trialing',
    run: (ctx, opts) =>
      completion(
        subscriptionCheckout(ctx, { ...opts, trial_period_days: opts.trial_period_days ?? 7 }).result,
      ),
  },
  'checkout.expired': {
    description: 'A Checkout Session that expires unpaid: checkout.session.expired',
    run: (ctx, opts) => {
      const session = createSession(ctx, opts, 'payment');
      callApi(ctx, 'POST', `/v1/checkout/sessions/${session.id}/expire`);
      return { checkout_session: session.id };
    },
  },
  'subscription.renewal': {
    description:
      'Subscription checkout, then the clock runs to the next period: invoice.created, invoice.paid, …',
    run: (ctx, opts) => {
      const { result, sub } = subscriptionCheckout(ctx, opts);
      advance(ctx, untilRenewalCharged(ctx, sub));
      return { ...completion(result), invoice: sub.latest_invoice as string };
    },
  },
  'subscription.trial_end': {
    description: 'Trial subscription whose trial ends and the first real invoice is paid (trialing → active)',
    run: (ctx, opts) => {
      const { result, sub } = subscriptionCheckout(ctx, {
        ...opts,
        trial_period_days: opts.trial_period_days ?? 7,
      });
      advance(ctx, untilRenewalCharged(ctx, sub));
      return { ...completion(result), invoice: sub.latest_invoice as string };
    },
  },
  'subscription.past_due': {
    description:
      'Renewal payment fails: invoice.payment_failed, customer.subscription.updated (active → past_due)',
    run: (ctx, opts) => {
      const { result, sub } = pastDue(ctx, opts);
      return { ...completion(result), invoice: sub.latest_invoice as string };
    },
  },
  'subscription.recovered': {
    description: 'past_due, then the card works again at the next retry: invoice.paid, past_due → active',
    run: (ctx, opts) => {
      const { result, sub } = pastDue(ctx, opts);
      ctx.book.customerBehavior.delete(sub.customer as string);
      advance(ctx, (ctx.book.dunning.retryDays[0] ?? 1) * DAY + 60);
      return { ...completion(result), invoice: sub.latest_invoice as string };
    },
  },
  'subscription.canceled': {
    description:
      'past_due and every retry fails: customer.subscription.deleted (dunning final action: cancel)',
    run: (ctx, opts) => {
      const saved = ctx.book.dunning;
      ctx.book.dunning = { ...saved, finalAction: 'cancel' };
      try {
        const { result, sub } = pastDue(ctx, opts);
        exhaustDunning(ctx);
        return { ...completion(result), invoice: sub.latest_invoice as string };
      } finally {
        ctx.book.dunning = saved;
      }
    },
  },
  'subscription.unpaid': {
    description: 'past_due and every retry fails: past_due → unpaid (dunning final action: unpaid)',
    run: (ctx, opts) => {
      const saved = ctx.book.dunning;
      ctx.book.dunning = { ...saved, finalAction: 'unpaid' };
      try {
        const { result, sub } = pastDue(ctx, opts);
        exhaustDunning(ctx);
        return { ...completion(result), invoice: sub.latest_invoice as string };
      } finally {
        ctx.book.dunning = saved;
      }
    },
  },
  'subscription.cancel_at_period_end': {
    description: 'cancel_at_period_end=true (customer.subscription.updated), then the period ends (…deleted)',
    run: (ctx, opts) => {
      const { result, sub } = subscriptionCheckout(ctx, opts);
      callApi(ctx, 'POST', `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: true });
      advance(ctx, currentPeriodEnd(sub) - ctx.book.now() + 1);
      return completion(result);
    },
  },
  'subscription.canceled_now': {
    description: 'Immediate cancellation through the API: customer.subscription.deleted',
    run: (ctx, opts) => {
      const { result, sub } = subscriptionCheckout(ctx, opts);
      callApi(ctx, 'DELETE', `/v1/subscriptions/${sub.id}`);
      return completion(result);
    },
  },
  'refund.full': {
    description:
      'One-time Checkout, then a full refund: charge.refunded, refund.created; a day later charge.refund.updated, refund.updated',
    run: (ctx, opts) => {
      const paid = complete(ctx, createSession(ctx, opts, 'payment'), opts);
      const refund = callApi<Stripe.Refund>(ctx, 'POST', '/v1/refunds', {
        payment_intent: paid.payment_intent,
      });
      advance(ctx, REFUND_REFERENCE_DELAY);
      return { ...completion(paid), refund: refund.id };
    },
  },
  'refund.partial': {
    description: 'One-time Checkout, then a partial refund (default: half); a day later its reference',
    run: (ctx, opts) => {
      const paid = complete(ctx, createSession(ctx, opts, 'payment'), opts);
      const charge = ctx.book.charges.require(paid.charge!, 'charge');
      const refund = callApi<Stripe.Refund>(ctx, 'POST', '/v1/refunds', {
        charge: charge.id,
        amount: opts.refund_amount ?? Math.floor(charge.amount / 2),
      });
      advance(ctx, REFUND_REFERENCE_DELAY);
      return { ...completion(paid), refund: refund.id };
    },
  },
  'payment_intent.succeeded': {
    description: 'A PaymentIntent confirmed with pm_card_visa',
    run: (ctx, opts) => {
      const pi = callApi<Stripe.PaymentIntent>(ctx, 'POST', '/v1/payment_intents', {
        amount: opts.amount ?? 2000,
        currency: opts.currency ?? 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        ...(opts.customer ? { customer: opts.customer } : {}),
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
      });
      return { payment_intent: pi.id, charge: pi.latest_charge as string };
    },
  },
  'payment_intent.payment_failed': {
    description: 'A PaymentIntent confirmed with a declined card',
    run: (ctx, opts) => {
      try {
        callApi(ctx, 'POST', '/v1/payment_intents', {
          amount: opts.amount ?? 2000,
          currency: opts.currency ?? 'usd',
          payment_method: 'pm_card_chargeDeclined',
          confirm: true,
        });
      } catch (err) {
        if (!(err instanceof StripeApiError) || err.status !== 402) throw err;
        const pi = err.body.payment_intent as Stripe.PaymentIntent;
        return { payment_intent: pi.id, charge: err.body.charge ?? null };
      }
      throw new Error('expected a declined payment');
    },
  },
  'product.lifecycle': {
    description:
      'product.created, price.created ×2, product.updated, price.updated (archive), product.updated (archive)',
    run: (ctx) => {
      const product = callApi<Stripe.Product>(ctx, 'POST', '/v1/products', {
        name: 'Lifecycle product',
        default_price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } },
        metadata: { plan: 'basic' },
      });
      const yearly = callApi<Stripe.Price>(ctx, 'POST', '/v1/prices', {
        product: product.id,
        currency: 'usd',
        unit_amount: 10000,
        recurring: { interval: 'year' },
      });
      callApi(ctx, 'POST', `/v1/products/${product.id}`, {
        name: 'Lifecycle product (renamed)',
        metadata: { plan: 'plus' },
      });
      callApi(ctx, 'POST', `/v1/prices/${yearly.id}`, { active: false });
      callApi(ctx, 'POST', `/v1/products/${product.id}`, { active: false });
      return { product: product.id, price: product.default_price as string, price_archived: yearly.id };
    },
  },
  'customer.lifecycle': {
    description: 'customer.created, customer.updated, customer.deleted',
    run: (ctx, opts) => {
      const customer = callApi<Stripe.Customer>(ctx, 'POST', '/v1/customers', {
        email: opts.email ?? 'jenny.rosen@example.com',
        name: opts.name ?? 'Jenny Rosen',
        metadata: opts.metadata ?? { user_id: 'user_123' },
      });
      callApi(ctx, 'POST', `/v1/customers/${customer.id}`, { name: 'Jenny R.', metadata: { tier: 'gold' } });
      callApi(ctx, 'DELETE', `/v1/customers/${customer.id}`);
      return { customer: customer.id };
    },
  },
};

export function runTrigger(ctx: Ctx, flow: string, opts: TriggerOptions): TriggerResult {
  const def = FLOWS[flow];
  if (!def) {
    throw new StripeApiError(404, {
      type: 'invalid_request_error',
      message: `Unknown flow '${flow}'. Known flows: ${Object.keys(FLOWS).join(', ')}`,
    });
  }
  const objects = def.run(ctx, opts);
  return {
    flow,
    objects,
    events: ctx.emitted.map((e) => ({ id: e.id, type: e.type, created: e.created })),
  };
}
