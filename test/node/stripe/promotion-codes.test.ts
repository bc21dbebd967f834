import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorControl, StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

// Coupons, promotion codes and the discounts they give in Checkout and on subscription invoices.

let emu: StripeEmulator;
let stripe: Stripe;
let control: EmulatorControl;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
  control = emu.control();
});
afterAll(() => emu.close());

beforeEach(async () => {
  await control.reset();
  const credits = await stripe.products.create({ name: 'Credits' });
  oneTime = await stripe.prices.create({ product: credits.id, currency: 'usd', unit_amount: 2000 });
  const pro = await stripe.products.create({ name: 'Pro', metadata: { plan: 'pro' } });
  monthly = await stripe.prices.create({
    product: pro.id,
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
  });
});

async function codeFor(
  coupon: Stripe.CouponCreateParams,
  code: string,
  extra: Partial<Stripe.PromotionCodeCreateParams> = {},
) {
  const c = await stripe.coupons.create(coupon);
  const promo = await stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: c.id },
    code,
    ...extra,
  });
  return { coupon: c, promo };
}

describe('coupons and promotion codes resources', () => {
  it('creates, retrieves, lists, updates and deletes coupons with events', async () => {
    const coupon = await stripe.coupons.create({
      percent_off: 25.5,
      duration: 'repeating',
      duration_in_months: 3,
    });
    expect(coupon).toMatchObject({
      object: 'coupon',
      percent_off: 25.5,
      amount_off: null,
      currency: null,
      duration: 'repeating',
      duration_in_months: 3,
      times_redeemed: 0,
      valid: true,
      livemode: false,
    });
    expect(coupon.id).toMatch(/^[A-Z0-9]{8}$/);
    const named = await stripe.coupons.create({
      id: 'WELCOME5',
      amount_off: 500,
      currency: 'USD',
      name: '$5 off',
    });
    expect(named).toMatchObject({ id: 'WELCOME5', amount_off: 500, currency: 'usd', duration: 'once' });
    expect(await stripe.coupons.retrieve('WELCOME5')).toEqual(named);
    expect((await stripe.coupons.list()).data.map((c) => c.id)).toEqual(['WELCOME5', coupon.id]);
    const updated = await stripe.coupons.update('WELCOME5', { name: 'Five off', metadata: { a: '1' } });
    expect(updated).toMatchObject({ name: 'Five off', metadata: { a: '1' }, amount_off: 500 });
    expect(await stripe.coupons.del('WELCOME5')).toEqual({ id: 'WELCOME5', object: 'coupon', deleted: true });
    await expect(stripe.coupons.retrieve('WELCOME5')).rejects.toMatchObject({ statusCode: 404 });
    const types = (await stripe.events.list({ limit: 10 })).data.map((e) => e.type).reverse();
    expect(types.filter((t) => t.startsWith('coupon.'))).toEqual([
      'coupon.created',
      'coupon.created',
      'coupon.updated',
      'coupon.deleted',
    ]);
  });

  it('refuses coupons Stripe refuses', async () => {
    await expect(stripe.coupons.create({ duration: 'once' })).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.coupons.create({ amount_off: 100 })).rejects.toMatchObject({ param: 'currency' });
    await expect(stripe.coupons.create({ percent_off: 150 })).rejects.toMatchObject({ param: 'percent_off' });
    await expect(stripe.coupons.create({ percent_off: 10, duration: 'repeating' })).rejects.toMatchObject({
      param: 'duration_in_months',
    });
    await stripe.coupons.create({ id: 'DUP', percent_off: 10 });
    await expect(stripe.coupons.create({ id: 'DUP', percent_off: 10 })).rejects.toMatchObject({
      code: 'resource_already_exists',
    });
  });

  it('creates promotion codes for a coupon; active codes are unique ignoring case', async () => {
    const { coupon, promo } = await codeFor({ percent_off: 20 }, 'FALL20', { max_redemptions: 5 });
    expect(promo).toMatchObject({
      object: 'promotion_code',
      active: true,
      code: 'FALL20',
      customer: null,
      max_redemptions: 5,
      promotion: { type: 'coupon', coupon: coupon.id },
      restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null },
      times_redeemed: 0,
    });
    expect(promo.id).toMatch(/^promo_/);
    await expect(
      stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'fall20' }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'code' });
    await expect(
      stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'NOPE' }, code: 'X1' }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'promotion[coupon]' });
    expect((await stripe.promotionCodes.list({ code: 'fall20' })).data.map((p) => p.id)).toEqual([promo.id]);
    const off = await stripe.promotionCodes.update(promo.id, { active: false });
    expect(off.active).toBe(false);
    // The code is free again once the old one is inactive.
    const again = await stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: 'FALL20',
    });
    expect((await stripe.promotionCodes.list({ active: true })).data.map((p) => p.id)).toEqual([again.id]);
  });
});

describe('discounts in Checkout', () => {
  it('payment mode: a code applied through the complete control lowers the payment and counts a redemption', async () => {
    const { coupon, promo } = await codeFor({ percent_off: 25 }, 'SAVE25');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 2 }],
      allow_promotion_codes: true,
      customer_creation: 'always',
      success_url: 'https://app.example.com/ok',
    });
    expect(session).toMatchObject({ allow_promotion_codes: true, amount_total: 4000, discounts: [] });
    const result = await control.completeCheckout(session.id, { promotion_code: 'save25' });
    expect(result.outcome).toBe('completed');
    const pi = await stripe.paymentIntents.retrieve(result.payment_intent!);
    expect(pi.amount).toBe(3000);
    expect((await stripe.charges.retrieve(result.charge!)).amount).toBe(3000);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
    expect(done).toMatchObject({
      amount_subtotal: 4000,
      amount_total: 3000,
      total_details: { amount_discount: 1000 },
      discounts: [{ coupon: coupon.id, promotion_code: promo.id }],
    });
    expect(done.line_items!.data[0]).toMatchObject({
      amount_subtotal: 4000,
      amount_discount: 1000,
      amount_total: 3000,
    });
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
    expect((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed).toBe(1);
  });

  it('the hosted page applies a typed code, shows the discount and charges the lower amount', async () => {
    await codeFor({ amount_off: 500, currency: 'usd' }, 'FIVEOFF');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      allow_promotion_codes: true,
      success_url: 'https://app.example.com/ok',
    });
    const page = await (await fetch(session.url!)).text();
    expect(page).toContain('name="promotion_code"');
    const bad = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ action: 'apply_promotion_code', promotion_code: 'NOPE' }),
    });
    expect(await bad.text()).toContain('This code is invalid.');
    const applied = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ action: 'apply_promotion_code', promotion_code: 'fiveoff' }),
    });
    const html = await applied.text();
    expect(html).toContain('Discount applied: −5.00 USD');
    expect(html).toContain('15.00 USD');
    const paid = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ email: 'p@example.com', card: 'card_ok' }),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', amount_total: 1500 });
    expect((await stripe.paymentIntents.retrieve(done.payment_intent as string)).amount).toBe(1500);
  });

  it('refuses codes on sessions without allow_promotion_codes, and codes that do not apply', async () => {
    await codeFor({ percent_off: 10 }, 'TEN', {
      restrictions: { minimum_amount: 5000, minimum_amount_currency: 'usd' },
    });
    const closed = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
    });
    await expect(control.completeCheckout(closed.id, { promotion_code: 'TEN' })).rejects.toThrow(
      /does not accept promotion codes/,
    );
    const open = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      allow_promotion_codes: true,
    });
    await expect(control.completeCheckout(open.id, { promotion_code: 'TEN' })).rejects.toThrow(
      /not valid for this order amount/,
    );
    expect((await stripe.checkout.sessions.retrieve(open.id)).status).toBe('open');
    await expect(
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: oneTime.id, quantity: 1 }],
        allow_promotion_codes: true,
        discounts: [{ coupon: 'X' }],
      }),
    ).rejects.toMatchObject({ param: 'allow_promotion_codes' });
  });

  it('a max_redemptions code is used up', async () => {
    await codeFor({ percent_off: 10 }, 'ONCE', { max_redemptions: 1 });
    const make = () =>
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: oneTime.id, quantity: 1 }],
        allow_promotion_codes: true,
      });
    await control.completeCheckout((await make()).id, { promotion_code: 'ONCE' });
    await expect(control.completeCheckout((await make()).id, { promotion_code: 'ONCE' })).rejects.toThrow(
      /invalid/,
    );
  });

  it('subscription mode: discounts[coupon] at creation, a forever coupon on every invoice', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      discounts: [{ coupon: coupon.id }],
    });
    expect(session).toMatchObject({ amount_total: 1200, total_details: { amount_discount: 300 } });
    const result = await control.completeCheckout(session.id);
    const sub = await stripe.subscriptions.retrieve(result.subscription!, { expand: ['discounts'] });
    const discount = sub.discounts[0] as Stripe.Discount;
    expect(discount).toMatchObject({
      object: 'discount',
      source: { coupon: coupon.id, type: 'coupon' },
      subscription: sub.id,
      checkout_session: session.id,
      end: null,
    });
    const first = await stripe.invoices.retrieve(result.invoice!);
    expect(first).toMatchObject({
      subtotal: 1500,
      total: 1200,
      amount_paid: 1200,
      discounts: [discount.id],
      total_discount_amounts: [{ amount: 300, discount: discount.id }],
    });
    expect(first.lines.data[0]!.discount_amounts).toEqual([{ amount: 300, discount: discount.id }]);
    await control.advanceClock(31 * 86400 + 3700);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: 1200, status: 'paid' });
  });

  it('subscription mode: a once coupon discounts the first paid invoice only, not the renewal', async () => {
    await codeFor({ amount_off: 1000, currency: 'usd', duration: 'once' }, 'FIRST10');
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      allow_promotion_codes: true,
    });
    const result = await control.completeCheckout(session.id, { promotion_code: 'FIRST10' });
    expect((await stripe.invoices.retrieve(result.invoice!)).amount_paid).toBe(500);
    const sub = await stripe.subscriptions.retrieve(result.subscription!);
    expect(sub.discounts).toEqual([]);
    await control.advanceClock(31 * 86400 + 3700);
    const renewal = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: 1500, discounts: [] });
  });
});
