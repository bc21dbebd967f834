import type Stripe from 'stripe';
import { startSubscription } from './billing';
import { attachPaymentMethod, buildPaymentMethod, TEST_PAYMENT_METHODS } from './cards';
import type { Ctx } from './context';
import { createCustomer } from './customers';
import { type DiscountTarget, discountShares, findPromotionCode, redeem } from './discounts';
import { invalidRequest } from './errors';
import { emitEvent, previousAttributes } from './events';
import { confirmPaymentIntent, createPaymentIntent, settleProcessingIntent } from './payments';
import { type Book, type CardBehavior, type CheckoutSessionInputs, clone } from './store';

/**
 * What happens to a Checkout Session after it was created: the customer pays (or fails to) on
 * the hosted page or through the control API, an async payment settles, the session expires.
 * Shared by the checkout sessions resource, the hosted page, the control API and triggers.
 */

/** How a simulated customer pays on the hosted page or through the control API. */
export type CheckoutPaymentMethod = 'card_ok' | 'card_declined' | 'insufficient_funds' | 'async';

const CHECKOUT_CARDS: Record<Exclude<CheckoutPaymentMethod, 'async'>, CardBehavior> = {
  card_ok: TEST_PAYMENT_METHODS.pm_card_visa!,
  card_declined: TEST_PAYMENT_METHODS.pm_card_chargeDeclined!,
  insufficient_funds: TEST_PAYMENT_METHODS.pm_card_chargeDeclinedInsufficientFunds!,
};
export function customerDetails(
  email: string | null,
  name: string | null,
): Stripe.Checkout.Session.CustomerDetails {
  return {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    business_name: null,
    email,
    individual_name: null,
    name,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
}

/** What a coupon on this session could reduce: its line items' subtotals. */
export function sessionDiscountTarget(book: Book, session: Stripe.Checkout.Session): DiscountTarget {
  return {
    currency: session.currency ?? 'usd',
    customer: (session.customer as string | null) ?? null,
    lines: (book.sessionLineItems.get(session.id) ?? []).map((li) => ({
      amount: li.amount_subtotal,
      product: (li.price?.product as string | undefined) ?? '',
    })),
  };
}

/**
 * Puts one coupon (or promotion code) on a session: its line items' `amount_discount`, the
 * session's `discounts`, `amount_total` and `total_details.amount_discount`. A trialing
 * subscription session is due $0 today, so nothing comes off now; the subscription gets the
 * discount for its first paid invoice.
 */
export function applySessionDiscount(
  book: Book,
  session: Stripe.Checkout.Session,
  coupon: Stripe.Coupon,
  promotionCode: Stripe.PromotionCode | null,
): void {
  const items = book.sessionLineItems.get(session.id) ?? [];
  const trialing = book.checkoutSessionInputs.get(session.id)?.subscriptionData?.trialEnd !== undefined;
  const shares = trialing ? items.map(() => 0) : discountShares(coupon, sessionDiscountTarget(book, session));
  items.forEach((li, i) => {
    li.amount_discount = shares[i] ?? 0;
    li.amount_total = li.amount_subtotal - li.amount_discount;
  });
  const off = shares.reduce((sum, a) => sum + a, 0);
  session.discounts = [{ coupon: coupon.id, promotion_code: promotionCode?.id ?? null }];
  session.amount_total = (session.amount_subtotal ?? 0) - off;
  session.total_details = {
    amount_discount: off,
    amount_shipping: session.total_details?.amount_shipping ?? 0,
    amount_tax: session.total_details?.amount_tax ?? 0,
  };
}

/**
 * A code the customer typed on the hosted page (or passed to the complete control): only
 * sessions created with `allow_promotion_codes=true` take one.
 */
export function applyPromotionCodeToSession(
  book: Book,
  session: Stripe.Checkout.Session,
  code: string,
): void {
  requireOpen(session);
  if (!session.allow_promotion_codes) {
    throw invalidRequest(
      'This Checkout Session does not accept promotion codes (create it with `allow_promotion_codes=true`).',
      'promotion_code',
    );
  }
  const { promo, coupon } = findPromotionCode(book, code, sessionDiscountTarget(book, session));
  applySessionDiscount(book, session, coupon, promo);
}

/** The coupon and promotion code on a session, if any. */
function sessionDiscount(
  session: Stripe.Checkout.Session,
): { coupon: string; promotionCode: string | null } | undefined {
  const d = session.discounts?.[0];
  if (!d?.coupon) return undefined;
  const coupon = typeof d.coupon === 'string' ? d.coupon : d.coupon.id;
  const promo = d.promotion_code;
  return { coupon, promotionCode: promo ? (typeof promo === 'string' ? promo : promo.id) : null };
}

export interface CheckoutCompletion {
  outcome: 'completed' | 'failed' | 'processing';
  session: Stripe.Checkout.Session;
  customer: string | null;
  payment_intent: string | null;
  charge: string | null;
  subscription: string | null;
  invoice: string | null;
  payment_method: string | null;
  error: { code: string; decline_code: string | undefined; message: string } | null;
}

function requireOpen(session: Stripe.Checkout.Session): void {
  if (session.status !== 'open') {
    throw invalidRequest(
      `This Checkout Session is ${session.status} and can no longer be paid.`,
      undefined,
      'checkout_session_not_open',
    );
  }
}

/** The buyer on the hosted page and what the session kept for completion. */
interface Payer {
  method: CheckoutPaymentMethod;
  email: string;
  name: string;
  existing: Stripe.Customer | undefined;
  inputs: CheckoutSessionInputs | undefined;
}

/**
 * What happens when a customer pays on the hosted page. Payment mode: (customer.created),
 * payment_intent.created, payment_intent.succeeded, charge.succeeded, checkout.session.completed.
 * Subscription mode: customer.created, payment_method.attached, customer.updated, the
 * subscription's first invoice and payment (see billing), checkout.session.completed.
 */
export function completeCheckoutSession(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  opts: {
    paymentMethod?: CheckoutPaymentMethod;
    email?: string | null;
    name?: string | null;
    promotionCode?: string | null;
  } = {},
): CheckoutCompletion {
  requireOpen(session);
  const { book } = ctx;
  if (opts.promotionCode) applyPromotionCodeToSession(book, session, opts.promotionCode);
  const existing = session.customer ? book.customers.get(session.customer as string) : undefined;
  const payer: Payer = {
    method: opts.paymentMethod ?? 'card_ok',
    email: opts.email ?? session.customer_email ?? existing?.email ?? 'customer@example.com',
    name: opts.name ?? existing?.name ?? 'Jenny Rosen',
    existing,
    inputs: book.checkoutSessionInputs.get(session.id),
  };
  const result: CheckoutCompletion = {
    outcome: 'failed',
    session,
    customer: existing?.id ?? null,
    payment_intent: null,
    charge: null,
    subscription: null,
    invoice: null,
    payment_method: null,
    error: null,
  };
  return session.mode === 'subscription'
    ? completeSubscriptionCheckout(ctx, session, payer, result)
    : completePaymentCheckout(ctx, session, payer, result);
}

function completeSubscriptionCheckout(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  payer: Payer,
  result: CheckoutCompletion,
): CheckoutCompletion {
  const { book } = ctx;
  const { method, email, name, existing, inputs } = payer;
  if (method === 'async') {
    throw invalidRequest(
      'The emulator supports `async` payment methods in payment mode only.',
      'payment_method',
    );
  }
  const behavior = CHECKOUT_CARDS[method];
  if (behavior.outcome === 'decline' && (session.amount_total ?? 0) > 0) {
    // Checkout declines the card before creating anything; the customer can try again.
    result.error = {
      code: behavior.code ?? 'card_declined',
      decline_code: behavior.declineCode,
      message: behavior.message ?? 'Your card was declined.',
    };
    return result;
  }
  const customer = existing ?? createCustomer(ctx, { email, name });
  const pm = buildPaymentMethod(ctx, behavior, { email, name });
  attachPaymentMethod(ctx, pm, customer);
  // The card becomes the subscription's default_payment_method (set below), not the customer's
  // invoice_settings: https://docs.stripe.com/api/subscriptions/object#subscription_object-default_payment_method
  const items = (book.sessionLineItems.get(session.id) ?? []).map((li) => ({
    price: book.prices.require(li.price!.id, 'price'),
    quantity: li.quantity ?? 1,
  }));
  const discount = sessionDiscount(session);
  const started = startSubscription(
    ctx,
    {
      customer,
      items,
      discount: discount && { ...discount, checkoutSession: session.id },
      metadata: inputs?.subscriptionData?.metadata,
      description: inputs?.subscriptionData?.description,
      trialEnd: inputs?.subscriptionData?.trialEnd,
      defaultPaymentMethod: pm.id,
    },
    { pay: true, paymentMethod: pm },
  );
  const paid = started.payment?.status === 'paid';
  if (discount) redeem(book, discount.coupon, discount.promotionCode);
  session.customer = customer.id;
  session.customer_details = customerDetails(customer.email, customer.name ?? null);
  session.collected_information = { business_name: null, individual_name: null, shipping_details: null };
  session.subscription = started.subscription.id;
  session.invoice = started.invoice.id;
  session.status = 'complete';
  session.payment_status =
    started.invoice.amount_due === 0 ? 'no_payment_required' : paid ? 'paid' : 'unpaid';
  emitEvent(ctx, 'checkout.session.completed', session);
  Object.assign(result, {
    outcome: 'completed',
    customer: customer.id,
    subscription: started.subscription.id,
    invoice: started.invoice.id,
    payment_intent: started.payment?.paymentIntent?.id ?? null,
    charge: started.payment?.result?.charge?.id ?? null,
    payment_method: pm.id,
  });
  return result;
}

function completePaymentCheckout(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  payer: Payer,
  result: CheckoutCompletion,
): CheckoutCompletion {
  const { book } = ctx;
  const { method, email, name, existing, inputs } = payer;
  let customer = existing;
  if (!customer && session.customer_creation === 'always') customer = createCustomer(ctx, { email, name });
  const behavior = method === 'async' ? TEST_PAYMENT_METHODS.pm_card_visa! : CHECKOUT_CARDS[method];
  const pm = buildPaymentMethod(ctx, behavior, { email, name });
  let pi = session.payment_intent ? book.paymentIntents.get(session.payment_intent as string) : undefined;
  if (!pi) {
    pi = createPaymentIntent(ctx, {
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer: customer?.id ?? null,
      description: inputs?.paymentIntentData?.description,
      metadata: inputs?.paymentIntentData?.metadata,
      receipt_email: inputs?.paymentIntentData?.receiptEmail ?? null,
      setup_future_usage: inputs?.paymentIntentData?.setupFutureUsage ?? null,
    });
    session.payment_intent = pi.id;
  } else if (customer && !pi.customer) {
    pi.customer = customer.id;
  }
  if (customer && inputs?.paymentIntentData?.setupFutureUsage) attachPaymentMethod(ctx, pm, customer);
  const payment = confirmPaymentIntent(ctx, pi, pm, { async: method === 'async' });
  payment.emitEvents();
  result.payment_intent = pi.id;
  result.charge = payment.charge?.id ?? null;
  result.payment_method = pm.id;
  result.customer = customer?.id ?? null;
  if (payment.status === 'failed') {
    result.error = {
      code: payment.error?.body.code ?? 'card_declined',
      decline_code: payment.error?.body.decline_code,
      message: payment.error?.body.message ?? 'Your card was declined.',
    };
    return result;
  }
  const discount = sessionDiscount(session);
  if (discount) redeem(book, discount.coupon, discount.promotionCode);
  session.customer = customer?.id ?? null;
  session.customer_details = customerDetails(email, name);
  session.collected_information = { business_name: null, individual_name: null, shipping_details: null };
  session.status = 'complete';
  session.payment_status = payment.status === 'succeeded' ? 'paid' : 'unpaid';
  emitEvent(ctx, 'checkout.session.completed', session);
  result.outcome = payment.status === 'succeeded' ? 'completed' : 'processing';
  return result;
}

/** Settles an async checkout payment: `checkout.session.async_payment_succeeded` / `_failed`. */
export function settleAsyncCheckoutPayment(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  succeed: boolean,
): CheckoutCompletion {
  const pi = session.payment_intent
    ? ctx.book.paymentIntents.get(session.payment_intent as string)
    : undefined;
  if (
    session.status !== 'complete' ||
    session.payment_status !== 'unpaid' ||
    !pi ||
    pi.status !== 'processing'
  ) {
    throw invalidRequest(
      'This Checkout Session has no pending asynchronous payment.',
      undefined,
      'checkout_session_unexpected_state',
    );
  }
  const payment = settleProcessingIntent(ctx, pi, succeed);
  payment.emitEvents();
  const before = clone(session);
  if (succeed) session.payment_status = 'paid';
  emitEvent(
    ctx,
    succeed ? 'checkout.session.async_payment_succeeded' : 'checkout.session.async_payment_failed',
    session,
    previousAttributes(before, session),
  );
  return {
    outcome: succeed ? 'completed' : 'failed',
    session,
    customer: (session.customer as string | null) ?? null,
    payment_intent: pi.id,
    charge: payment.charge?.id ?? null,
    subscription: null,
    invoice: null,
    payment_method: (pi.payment_method as string | null) ?? null,
    error: succeed
      ? null
      : { code: 'card_declined', decline_code: 'generic_decline', message: 'The payment failed.' },
  };
}

/** open → expired; emits `checkout.session.expired`. */
export function expireCheckoutSession(ctx: Ctx, session: Stripe.Checkout.Session): void {
  if (session.status !== 'open') {
    throw invalidRequest(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
      undefined,
      'checkout_session_unexpected_state',
    );
  }
  session.status = 'expired';
  session.url = null;
  emitEvent(ctx, 'checkout.session.expired', session);
}
