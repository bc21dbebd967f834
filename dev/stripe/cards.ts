import type Stripe from 'stripe';
import type { Ctx } from './context';
import { invalidRequest } from './errors';
import { emitEvent } from './events';
import { deterministicBase62, newId } from './ids';
import type { CardBehavior } from './store';

/**
 * Cards as the emulator models them: Stripe's test tokens, how each behaves when charged, and
 * the payment method objects built from them. Shared by the payment method, customer, payment
 * intent, invoice and subscription resources, by payments and by checkout.
 */

const VISA: CardBehavior = { brand: 'visa', last4: '4242', outcome: 'succeed' };
const DECLINED: CardBehavior = {
  brand: 'visa',
  last4: '0002',
  outcome: 'decline',
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
};
const INSUFFICIENT: CardBehavior = {
  brand: 'visa',
  last4: '9995',
  outcome: 'decline',
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
};
const EXPIRED: CardBehavior = {
  brand: 'visa',
  last4: '0069',
  outcome: 'decline',
  code: 'expired_card',
  declineCode: 'expired_card',
  message: 'Your card has expired.',
};

/** Stripe's test payment method tokens (`pm_card_visa`, …), accepted by the emulator in both modes. */
export const TEST_PAYMENT_METHODS: Record<string, CardBehavior> = {
  pm_card_visa: VISA,
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: 'succeed' },
  pm_card_amex: { brand: 'amex', last4: '8431', outcome: 'succeed' },
  pm_card_chargeDeclined: DECLINED,
  pm_card_visa_chargeDeclined: DECLINED,
  pm_card_chargeDeclinedInsufficientFunds: INSUFFICIENT,
  pm_card_visa_chargeDeclinedInsufficientFunds: INSUFFICIENT,
  pm_card_chargeDeclinedExpiredCard: EXPIRED,
  pm_card_visa_chargeDeclinedExpiredCard: EXPIRED,
  // Attaches fine, every later charge fails: the card to use for failed renewals.
  pm_card_chargeCustomerFail: { ...DECLINED, last4: '0341' },
};

export function buildPaymentMethod(
  ctx: Ctx,
  behavior: CardBehavior,
  billing: { email?: string | null; name?: string | null } = {},
): Stripe.PaymentMethod {
  const id = newId('payment_method');
  const pm: Stripe.PaymentMethod = {
    id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: billing.email ?? null,
      name: billing.name ?? null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: behavior.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: behavior.brand,
      exp_month: 12,
      exp_year: new Date(ctx.book.now() * 1000).getUTCFullYear() + 5,
      fingerprint: deterministicBase62(`${behavior.brand}${behavior.last4}`, 16),
      funding: 'credit',
      generated_from: null,
      last4: behavior.last4,
      networks: { available: [behavior.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: ctx.book.now(),
    customer: null,
    customer_account: null,
    livemode: ctx.book.livemode,
    metadata: {},
    type: 'card',
  };
  ctx.book.paymentMethods.insert(pm);
  ctx.book.paymentMethodBehavior.set(pm.id, behavior);
  return pm;
}

export function behaviorOf(ctx: Ctx, pmId: string | null | undefined): CardBehavior {
  return (pmId && ctx.book.paymentMethodBehavior.get(pmId)) || VISA;
}

/** A `payment_method` parameter: an existing `pm_…` or a test token, which creates a new one. */
export function resolvePaymentMethodParam(ctx: Ctx, value: string, param: string): Stripe.PaymentMethod {
  const token = TEST_PAYMENT_METHODS[value];
  if (token) return buildPaymentMethod(ctx, token);
  return ctx.book.paymentMethods.require(value, param);
}

export function attachPaymentMethod(ctx: Ctx, pm: Stripe.PaymentMethod, customer: Stripe.Customer): void {
  if (pm.customer === customer.id) return;
  if (pm.customer) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  pm.customer = customer.id;
  emitEvent(ctx, 'payment_method.attached', pm);
}
