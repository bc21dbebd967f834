import type Stripe from 'stripe';
import { behaviorOf } from './cards';
import type { Ctx } from './context';
import { cardError, invalidRequest, type StripeApiError } from './errors';
import { emitEvent, previousAttributes } from './events';
import { newClientSecret, newId } from './ids';
import { type Book, type CardBehavior, clone } from './store';

/** Stripe's US card pricing, used for balance transaction fees. */
function cardFee(amount: number): number {
  return amount === 0 ? 0 : Math.round(amount * 0.029) + 30;
}

export function statementDescriptor(ctx: Ctx): string {
  return (
    ctx.book.account.name
      .toUpperCase()
      .replace(/[^A-Z0-9 ]/g, '')
      .slice(0, 22) || 'PAYWIRE'
  );
}

export interface PaymentIntentInput {
  amount: number;
  currency: string;
  customer?: string | null | undefined;
  description?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
  payment_method?: string | null | undefined;
  receipt_email?: string | null | undefined;
  setup_future_usage?: Stripe.PaymentIntent.SetupFutureUsage | null | undefined;
  /** Checkout and invoices create intents with `automatic_payment_methods` off and `card` listed. */
  automatic_payment_methods?: boolean | undefined;
}

export function buildPaymentIntent(ctx: Ctx, input: PaymentIntentInput): Stripe.PaymentIntent {
  const id = newId('payment_intent');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: input.automatic_payment_methods
      ? { allow_redirects: 'always', enabled: true }
      : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: newClientSecret(id),
    confirmation_method: 'automatic',
    created: ctx.book.now(),
    currency: input.currency,
    customer: input.customer ?? null,
    customer_account: null,
    description: input.description ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: ctx.book.livemode,
    managed_payments: null,
    metadata: input.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: input.payment_method ?? null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: input.receipt_email ?? null,
    review: null,
    setup_future_usage: input.setup_future_usage ?? null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: input.payment_method ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

/** Creates an intent and emits `payment_intent.created`. */
export function createPaymentIntent(ctx: Ctx, input: PaymentIntentInput): Stripe.PaymentIntent {
  const pi = ctx.book.paymentIntents.insert(buildPaymentIntent(ctx, input));
  emitEvent(ctx, 'payment_intent.created', pi);
  return pi;
}

function createBalanceTransaction(
  ctx: Ctx,
  fields: {
    amount: number;
    currency: string;
    source: string;
    type: 'charge' | 'refund';
    description: string | null;
  },
): Stripe.BalanceTransaction {
  const fee = fields.type === 'charge' ? cardFee(fields.amount) : 0;
  const now = ctx.book.now();
  const txn: Stripe.BalanceTransaction = {
    id: newId('balance_transaction'),
    object: 'balance_transaction',
    amount: fields.amount,
    available_on: now + 2 * 86400,
    balance_type: 'payments',
    created: now,
    currency: fields.currency,
    description: fields.description,
    exchange_rate: null,
    fee,
    fee_details:
      fee > 0
        ? [
            {
              amount: fee,
              application: null,
              currency: fields.currency,
              description: 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
    net: fields.amount - fee,
    reporting_category: fields.type,
    source: fields.source,
    status: 'pending',
    type: fields.type,
  };
  return ctx.book.balanceTransactions.insert(txn);
}

/** What the card network said: approved, or declined with the test card's reason. */
function chargeOutcome(ok: boolean, behavior: CardBehavior): Stripe.Charge.Outcome {
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: ok ? 'approved_by_network' : 'declined_by_network',
    reason: ok ? null : (behavior.declineCode ?? 'generic_decline'),
    risk_level: 'normal',
    risk_score: 32,
    seller_message: ok
      ? 'Payment complete.'
      : 'The bank did not return any further details with this decline.',
    type: ok ? 'authorized' : 'issuer_declined',
  };
}

/** The card as the charge reports it; fixed test values where the payment method has none. */
function cardPaymentDetails(
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  ok: boolean,
): Stripe.Charge.PaymentMethodDetails {
  const card = pm.card;
  return {
    card: {
      amount_authorized: ok ? pi.amount : null,
      authorization_code: ok ? '123456' : null,
      electronic_commerce_indicator: null,
      brand: card?.brand ?? 'visa',
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      exp_month: card?.exp_month ?? 12,
      exp_year: card?.exp_year ?? 2030,
      extended_authorization: { status: 'disabled' },
      fingerprint: card?.fingerprint ?? null,
      funding: 'credit',
      incremental_authorization: { status: 'unavailable' },
      installments: null,
      last4: card?.last4 ?? '4242',
      mandate: null,
      multicapture: { status: 'unavailable' },
      network: card?.brand ?? 'visa',
      network_token: { used: false },
      network_transaction_id: ok ? '104102978678771' : null,
      overcapture: { maximum_amount_capturable: pi.amount, status: 'unavailable' },
      regulated_status: 'unregulated',
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
    type: 'card',
  };
}

function buildCharge(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  behavior: CardBehavior,
): Stripe.Charge {
  const ok = behavior.outcome === 'succeed';
  const id = newId('charge');
  const charge: Stripe.Charge = {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: ok ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: clone(pm.billing_details),
    calculated_statement_descriptor: statementDescriptor(ctx),
    captured: ok,
    created: ctx.book.now(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: ok ? null : (behavior.code ?? 'card_declined'),
    failure_message: ok ? null : (behavior.message ?? 'Your card was declined.'),
    fraud_details: {},
    livemode: ctx.book.livemode,
    metadata: clone(pi.metadata),
    on_behalf_of: null,
    outcome: chargeOutcome(ok, behavior),
    paid: ok,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: cardPaymentDetails(pi, pm, ok),
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: ok ? `${ctx.runtime.baseUrl()}/receipts/payment/${id}` : null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
  if (ok) {
    charge.balance_transaction = createBalanceTransaction(ctx, {
      amount: pi.amount,
      currency: pi.currency,
      source: id,
      type: 'charge',
      description: pi.description,
    }).id;
  }
  return ctx.book.charges.insert(charge);
}

export interface PaymentResult {
  status: 'succeeded' | 'failed' | 'processing';
  charge: Stripe.Charge | undefined;
  /** Stripe's 402 for a declined card (what a confirming API call answers). */
  error: StripeApiError | undefined;
  /** Emits the intent/charge events; callers order them among their own events. */
  emitEvents: () => void;
}

const CARD_AUTHORIZATION_SECONDS = 1;

/**
 * Confirms an intent with a payment method. The card's behavior decides the outcome (or the
 * `override`, used for a customer whose renewals are set to fail). Async payment methods end in
 * `processing` and are settled later with {@link settleProcessingIntent}.
 */
export function confirmPaymentIntent(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  opts: { override?: CardBehavior | undefined; async?: boolean } = {},
): PaymentResult {
  if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
    throw invalidRequest(
      `This PaymentIntent's status is ${pi.status}, so it cannot be confirmed.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  const before = clone(pi);
  pi.payment_method = pm.id;
  if (opts.async) {
    pi.status = 'processing';
    pi.processing = null;
    const prev = previousAttributes(before, pi);
    return {
      status: 'processing',
      charge: undefined,
      error: undefined,
      emitEvents: () => emitEvent(ctx, 'payment_intent.processing', pi, prev) && undefined,
    };
  }
  const behavior = opts.override ?? behaviorOf(ctx, pm.id);
  // The card network answers about a second later: the charge's events (and what follows) are
  // stamped after the intent's creation, as in Stripe's event streams.
  ctx.elapsed += CARD_AUTHORIZATION_SECONDS;
  const charge = buildCharge(ctx, pi, pm, behavior);
  pi.latest_charge = charge.id;
  if (behavior.outcome === 'succeed') {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    return {
      status: 'succeeded',
      charge,
      error: undefined,
      emitEvents: () => {
        emitEvent(ctx, 'payment_intent.succeeded', pi);
        emitEvent(ctx, 'charge.succeeded', charge);
      },
    };
  }
  pi.status = 'requires_payment_method';
  pi.payment_method = null;
  const message = behavior.message ?? 'Your card was declined.';
  pi.last_payment_error = {
    charge: charge.id,
    code: behavior.code ?? 'card_declined',
    decline_code: behavior.declineCode ?? 'generic_decline',
    doc_url: `https://stripe.com/docs/error-codes/${(behavior.code ?? 'card_declined').replaceAll('_', '-')}`,
    message,
    payment_method: clone(pm),
    type: 'card_error',
  };
  const error = cardError(
    message,
    behavior.code ?? 'card_declined',
    behavior.declineCode ?? 'generic_decline',
    {
      charge: charge.id,
      payment_intent: clone(pi),
    },
  );
  return {
    status: 'failed',
    charge,
    error,
    emitEvents: () => {
      emitEvent(ctx, 'charge.failed', charge);
      emitEvent(ctx, 'payment_intent.payment_failed', pi);
    },
  };
}

/** Settles an async (`processing`) intent: success creates the charge; failure resets the intent. */
export function settleProcessingIntent(ctx: Ctx, pi: Stripe.PaymentIntent, succeed: boolean): PaymentResult {
  if (pi.status !== 'processing') {
    throw invalidRequest(
      `This PaymentIntent's status is ${pi.status}, not processing.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  const pm = ctx.book.paymentMethods.require(pi.payment_method as string, 'payment_method');
  pi.status = 'requires_confirmation';
  const behavior: CardBehavior = succeed
    ? { brand: pm.card?.brand ?? 'visa', last4: pm.card?.last4 ?? '4242', outcome: 'succeed' }
    : {
        brand: pm.card?.brand ?? 'visa',
        last4: pm.card?.last4 ?? '0002',
        outcome: 'decline',
        code: 'card_declined',
        declineCode: 'generic_decline',
        message: 'The payment failed.',
      };
  return confirmPaymentIntent(ctx, pi, pm, { override: behavior });
}

export function cancelPaymentIntent(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  reason: Stripe.PaymentIntent.CancellationReason | null,
): void {
  if (pi.status === 'succeeded' || pi.status === 'canceled') {
    throw invalidRequest(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  pi.status = 'canceled';
  pi.canceled_at = ctx.book.now();
  pi.cancellation_reason = reason;
  emitEvent(ctx, 'payment_intent.canceled', pi);
}

export interface RefundInput {
  charge: Stripe.Charge;
  amount?: number | undefined;
  reason?: Stripe.Refund.Reason | undefined;
  metadata?: Record<string, string> | undefined;
  param: string;
}

/**
 * Refunds (part of) a charge. Events as Stripe sends them for a card refund: `charge.refunded`
 * and `refund.created` at once; `charge.refund.updated`/`refund.updated` follow when the
 * acquirer reference becomes available (`considerRefundWork`).
 */
export function createRefund(ctx: Ctx, input: RefundInput): Stripe.Refund {
  const { charge } = input;
  if (charge.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, input.param);
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0 || charge.refunded) {
    throw invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      input.param,
      'charge_already_refunded',
    );
  }
  const amount = input.amount ?? remaining;
  if (amount <= 0) throw invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer');
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatMoney(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, charge.currency)})`,
      'amount',
      'amount_too_large',
    );
  }
  const id = newId('refund');
  const txn = createBalanceTransaction(ctx, {
    amount: -amount,
    currency: charge.currency,
    source: id,
    type: 'refund',
    description: 'REFUND FOR CHARGE',
  });
  const refund: Stripe.Refund = {
    id,
    object: 'refund',
    amount,
    balance_transaction: txn.id,
    charge: charge.id,
    created: ctx.book.now(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    metadata: input.metadata ?? {},
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: input.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  ctx.book.refunds.insert(refund);

  const chargeBefore = clone(charge);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  emitEvent(ctx, 'charge.refunded', charge, previousAttributes(chargeBefore, charge));
  emitEvent(ctx, 'refund.created', refund);

  return refund;
}

/**
 * A card refund's acquirer reference number (ARN) comes from the card network days later, not in
 * the refund's request; the emulator publishes it one day after the refund
 * (https://docs.stripe.com/refunds#tracing-refunds).
 */
export const REFUND_REFERENCE_DELAY = 24 * 3600;

/** Offers the clock each card refund whose reference is still pending. */
export function considerRefundWork(
  book: Book,
  consider: (at: number, run: (ctx: Ctx) => void) => void,
): void {
  for (const refund of book.refunds.values()) {
    if (refund.destination_details?.card?.reference_status !== 'pending') continue;
    consider(refund.created + REFUND_REFERENCE_DELAY, (ctx) => publishRefundReference(ctx, refund));
  }
}

/** The reference is available: `charge.refund.updated` and `refund.updated`. */
function publishRefundReference(ctx: Ctx, refund: Stripe.Refund): void {
  const refundBefore = clone(refund);
  refund.destination_details!.card = {
    reference: String(74_000_000_000_000_000_000_000n + BigInt(ctx.book.refunds.size)).slice(0, 23),
    reference_status: 'available',
    reference_type: 'acquirer_reference_number',
    type: 'refund',
  };
  const prev = previousAttributes(refundBefore, refund);
  emitEvent(ctx, 'charge.refund.updated', refund, prev);
  emitEvent(ctx, 'refund.updated', refund, prev);
}

function formatMoney(amount: number, currency: string): string {
  return `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency.toUpperCase()}`}`;
}
