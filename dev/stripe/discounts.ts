import type Stripe from 'stripe';
import type { Ctx } from './context';
import { invalidRequest } from './errors';
import { newId, randomBase62 } from './ids';
import type { Book } from './store';

/**
 * Coupons, promotion codes and discounts, as Stripe models them: a coupon says how much comes
 * off (percent_off or amount_off, once / repeating / forever), a promotion code is a
 * customer-facing code for one coupon, and a discount is one application of a coupon to a
 * checkout session or a subscription (https://docs.stripe.com/billing/subscriptions/coupons).
 * Shared by the coupons and promotion codes resources, checkout, billing and the hosted page.
 */

/** Coupon ids are chosen by the caller or are 8 random characters (Stripe's look: `Z4OV52SU`). */
export function newCouponId(): string {
  return randomBase62(8).toUpperCase();
}

/** Promotion codes without a `code` get a random customer-facing one. */
export function newPromotionCodeText(): string {
  return randomBase62(8).toUpperCase();
}

/** A coupon can be redeemed until `redeem_by` and while `times_redeemed < max_redemptions`. */
export function couponIsValid(book: Book, coupon: Stripe.Coupon): boolean {
  if (coupon.redeem_by !== null && book.now() >= coupon.redeem_by) return false;
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions) return false;
  return true;
}

/** `valid` is derived: Stripe reports it false once the coupon can no longer be redeemed. */
export function refreshCouponValidity(book: Book, coupon: Stripe.Coupon): Stripe.Coupon {
  coupon.valid = couponIsValid(book, coupon);
  return coupon;
}

/** What a code or a coupon is applied to: the amounts it would come off. */
export interface DiscountTarget {
  currency: string;
  /** Lines the coupon may reduce, with their product (for `applies_to`). */
  lines: Array<{ amount: number; product: string }>;
  customer: string | null;
}

/** The part of `target` the coupon reduces (all lines, or those of `applies_to.products`). */
function discountableAmount(coupon: Stripe.Coupon, target: DiscountTarget): number {
  const products = coupon.applies_to?.products;
  return target.lines
    .filter((l) => l.amount > 0 && (!products || products.includes(l.product)))
    .reduce((sum, l) => sum + l.amount, 0);
}

/** How much the coupon takes off the target (never more than the discountable amount). */
export function discountAmount(coupon: Stripe.Coupon, target: DiscountTarget): number {
  const base = discountableAmount(coupon, target);
  if (coupon.percent_off !== null) return Math.min(base, Math.round((base * coupon.percent_off) / 100));
  if (coupon.amount_off !== null && coupon.currency === target.currency)
    return Math.min(base, coupon.amount_off);
  return 0;
}

/** The coupon's discount per target line (lines outside `applies_to` get 0). */
export function discountShares(coupon: Stripe.Coupon, target: DiscountTarget): number[] {
  const products = coupon.applies_to?.products;
  const eligible = target.lines.map((l) => (!products || products.includes(l.product) ? l.amount : 0));
  return spreadDiscount(eligible, discountAmount(coupon, target));
}

/** Splits a discount over lines in proportion to their amounts (the remainder on the last one). */
export function spreadDiscount(amounts: number[], discount: number): number[] {
  const total = amounts.reduce((sum, a) => sum + Math.max(0, a), 0);
  if (total === 0 || discount === 0) return amounts.map(() => 0);
  let left = discount;
  const lastPositive = amounts.findLastIndex((a) => a > 0);
  return amounts.map((a, i) => {
    if (a <= 0) return 0;
    const share = i === lastPositive ? left : Math.floor((discount * a) / total);
    left -= share;
    return share;
  });
}

function invalidCode(message = 'This code is invalid.'): never {
  throw invalidRequest(message, 'promotion_code', 'promotion_code_invalid');
}

/** A coupon that can still be applied to `target`, or Stripe's refusal. */
export function requireApplicableCoupon(
  book: Book,
  couponId: string,
  target: DiscountTarget,
  param: string,
): Stripe.Coupon {
  const coupon = book.coupons.require(couponId, param);
  if (!couponIsValid(book, coupon)) {
    throw invalidRequest(`This coupon is not valid: '${coupon.id}'.`, param, 'coupon_expired');
  }
  if (coupon.amount_off !== null && coupon.currency !== target.currency) {
    throw invalidRequest(
      `The coupon's currency (${coupon.currency}) does not match the currency of this purchase (${target.currency}).`,
      param,
    );
  }
  return coupon;
}

/** The promotion code's own restrictions: active, not expired, not used up, this customer, minimum amount. */
function checkPromotionRestrictions(book: Book, promo: Stripe.PromotionCode, target: DiscountTarget): void {
  if (!promo.active) invalidCode();
  if (promo.expires_at !== null && book.now() >= promo.expires_at) invalidCode('This code has expired.');
  if (promo.max_redemptions !== null && promo.times_redeemed >= promo.max_redemptions) invalidCode();
  if (promo.customer !== null && promo.customer !== target.customer) invalidCode();
  const { minimum_amount, minimum_amount_currency, first_time_transaction } = promo.restrictions;
  const total = target.lines.reduce((sum, l) => sum + l.amount, 0);
  if (minimum_amount !== null && minimum_amount_currency === target.currency && total < minimum_amount) {
    invalidCode('This code is not valid for this order amount.');
  }
  if (first_time_transaction && target.customer) {
    const paidBefore = book.charges
      .values()
      .some((c) => c.customer === target.customer && c.status === 'succeeded');
    if (paidBefore) invalidCode('This code is only valid for first-time customers.');
  }
}

/** A promotion code by its id (`discounts[][promotion_code]`), checked like an entered code. */
export function requirePromotionCodeById(
  book: Book,
  id: string,
  target: DiscountTarget,
  param: string,
): { promo: Stripe.PromotionCode; coupon: Stripe.Coupon } {
  const promo = book.promotionCodes.require(id, param);
  checkPromotionRestrictions(book, promo, target);
  const coupon = requireApplicableCoupon(book, promo.promotion.coupon as string, target, param);
  return { promo, coupon };
}

/** The active promotion code a customer typed (case-insensitive), or "This code is invalid." */
export function findPromotionCode(
  book: Book,
  code: string,
  target: DiscountTarget,
): { promo: Stripe.PromotionCode; coupon: Stripe.Coupon } {
  const typed = code.trim().toUpperCase();
  const matches = book.promotionCodes
    .values()
    .filter(
      (p) =>
        p.active && p.code.toUpperCase() === typed && (p.customer === null || p.customer === target.customer),
    );
  // A customer-specific code wins over a general one with the same text.
  const promo = matches.find((p) => p.customer !== null) ?? matches[0];
  if (!promo) invalidCode();
  checkPromotionRestrictions(book, promo, target);
  const coupon = book.coupons.get(promo.promotion.coupon as string);
  if (!coupon || !couponIsValid(book, coupon)) invalidCode();
  if (coupon.amount_off !== null && coupon.currency !== target.currency) invalidCode();
  return { promo, coupon };
}

/** Counts a redemption on the coupon (and the code it came through). */
export function redeem(book: Book, couponId: string, promotionCodeId: string | null): void {
  const coupon = book.coupons.get(couponId);
  if (coupon) {
    coupon.times_redeemed += 1;
    refreshCouponValidity(book, coupon);
  }
  const promo = promotionCodeId ? book.promotionCodes.get(promotionCodeId) : undefined;
  if (promo) promo.times_redeemed += 1;
}

const MONTH = 30 * 86400;

/** A coupon applied to a subscription: a `di_` object its invoices read. */
export function createSubscriptionDiscount(
  ctx: Ctx,
  input: {
    coupon: string;
    promotionCode: string | null;
    customer: string;
    subscription: string;
    checkoutSession: string | null;
  },
): Stripe.Discount {
  const { book } = ctx;
  const coupon = book.coupons.require(input.coupon, 'coupon');
  const start = book.now();
  const discount: Stripe.Discount = {
    id: newId('discount'),
    object: 'discount',
    checkout_session: input.checkoutSession,
    customer: input.customer,
    customer_account: null,
    // Repeating coupons end after their months (the emulator counts a month as 30 days).
    end: coupon.duration === 'repeating' ? start + (coupon.duration_in_months ?? 1) * MONTH : null,
    invoice: null,
    invoice_item: null,
    promotion_code: input.promotionCode,
    source: { coupon: coupon.id, type: 'coupon' },
    start,
    subscription: input.subscription,
    subscription_item: null,
  };
  book.discounts.insert(discount);
  return discount;
}

/** The discount a subscription's invoice gets now, if any (ended repeating discounts give none). */
export function activeSubscriptionDiscount(
  book: Book,
  sub: Stripe.Subscription,
): { discount: Stripe.Discount; coupon: Stripe.Coupon } | undefined {
  for (const ref of sub.discounts) {
    const discount = book.discounts.get(typeof ref === 'string' ? ref : ref.id);
    if (!discount || (discount.end !== null && book.now() >= discount.end)) continue;
    const coupon = book.coupons.get(discount.source.coupon as string);
    if (coupon) return { discount, coupon };
  }
  return undefined;
}

/**
 * After an invoice used a subscription's discount: a `once` coupon is spent by the first invoice
 * that had something to discount (a $0 trial invoice does not spend it).
 */
export function afterDiscountUsed(
  book: Book,
  sub: Stripe.Subscription,
  discount: Stripe.Discount,
  amount: number,
): void {
  const coupon = book.coupons.get(discount.source.coupon as string);
  if (coupon?.duration !== 'once' || amount === 0) return;
  sub.discounts = sub.discounts.filter((d) => (typeof d === 'string' ? d : d.id) !== discount.id);
  discount.end = book.now();
}
