/**
 * The licenses recipe (recipes/licenses) against real emulator flows through the Worker: a
 * signed-in user buys a licensed product or subscribes, the emulator's signed webhooks are
 * relayed (also duplicated and shuffled), refunds and failed renewals are driven through the
 * emulator; the app's license rows, key reveal, activation limits and expiry are asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import {
  checkoutBody,
  freshUser,
  type RuntimeStack,
  relayAll,
  relayHoldingBack,
  runtimeStack,
} from '../support/runtime-stack';
import { call, sqlFor } from '../support/worker';
import { installRecipe } from './support';

const DAY = 86_400;
let stack: RuntimeStack;
let desktopApp: { product: string; price: string };
let timedApp: { product: string; price: string };
let plainPrice: string;
let cloudApp: { product: string; price: string };
const sql = () => sqlFor(stack.env);

async function catalogPrice(name: string, productMeta: Record<string, string>, recurring = false) {
  const { stripe } = stack.emulator;
  const product = await stripe.products.create({ name, metadata: productMeta });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 4900,
    currency: 'usd',
    ...(recurring ? { recurring: { interval: 'month' as const } } : {}),
  });
  return { product: product.id, price: price.id };
}

beforeAll(async () => {
  stack = await runtimeStack('licenses recipe');
  await installRecipe(stack.env, 'licenses');
  await installRecipe(stack.env, 'licenses');
  desktopApp = await catalogPrice('Desktop app', { hwid_limit: '2', ip_limit: '3' });
  timedApp = await catalogPrice('Yearly updates', {
    license: 'true',
    expiration_days: '365',
    expiration_start: 'ACTIVATION',
  });
  plainPrice = (await catalogPrice('Sticker pack', {})).price;
  cloudApp = await catalogPrice('Cloud app', { hwid_limit: '1' }, true);
  await relayAll(stack);
});

async function checkout(user: string, body: Record<string, unknown>) {
  const created = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
    headers: await userHeaders(user),
    body,
  });
  expect(created.status, created.text).toBe(201);
  const done = await stack.emulator.control.completeCheckout(created.json.stripeCheckoutSessionId);
  expect(done.outcome).toBe('completed');
  return { session: created.json.stripeCheckoutSessionId as string, ...done };
}

async function licensesOf(source: string) {
  return sql()`select * from app.licenses where source_id = ${source}`;
}

async function reveal(id: string): Promise<string | null> {
  const [row] = await sql()`select app.reveal_license_key(${id}::uuid) as key`;
  return (row?.key as string | null) ?? null;
}

async function sha256Hex(text: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function validate(key: string, at?: Date) {
  const [row] = at
    ? await sql()`select app.validate_license('test', ${key}, ${at.toISOString()}::timestamptz) as r`
    : await sql()`select app.validate_license('test', ${key}) as r`;
  return row!.r as { valid: boolean; reason: string; license?: Record<string, unknown> };
}

async function activate(key: string, hwid: string, ip: string) {
  const [row] = await sql()`select app.activate_license('test', ${key}, ${hwid}, ${ip}) as r`;
  return row!.r as { valid: boolean; reason: string; license?: Record<string, unknown> };
}

describe('licenses recipe: one-time purchases', () => {
  it('a purchase issues ONE license, stored hashed, revealed once; activation limits; refund revokes', async () => {
    const user = freshUser('lic');
    const bought = await checkout(user, checkoutBody(desktopApp.price));
    await relayAll(stack);
    const [license, ...more] = await licensesOf(bought.session);
    expect(more).toEqual([]);
    expect(license).toMatchObject({
      environment: 'test',
      source: 'checkout',
      status: 'active',
      subject_type: 'user',
      subject_id: user,
      stripe_product_id: desktopApp.product,
      stripe_price_id: desktopApp.price,
      stripe_payment_intent_id: bought.payment_intent,
      hwid_limit: 2,
      ip_limit: 3,
      expiration_days: null,
      expires_at: null,
    });

    const key = await reveal(license!.id);
    expect(key).toMatch(/^lk_[0-9a-f]{64}$/);
    expect(await reveal(license!.id)).toBeNull();
    expect(license!.key_hash).toBe(await sha256Hex(key!));
    expect(key!.startsWith(license!.key_prefix)).toBe(true);
    // The plaintext is nowhere in the app's tables once revealed.
    const [stored] = await sql()`select
      (select count(*)::int from app.licenses l where l::text like ${`%${key!.slice(3)}%`}) as licenses,
      (select count(*)::int from app.license_key_reveals r where r::text like ${`%${key!.slice(3)}%`}) as reveals`;
    expect(stored).toEqual({ licenses: 0, reveals: 0 });

    expect(await validate(key!)).toMatchObject({ valid: true, reason: 'valid' });
    expect(await validate(`${key!}0`)).toEqual({ valid: false, reason: 'not_found' });
    expect(await activate(key!, 'machine-a', '10.0.0.1')).toMatchObject({ valid: true });
    expect(await activate(key!, 'machine-a', '10.0.0.1')).toMatchObject({ valid: true });
    expect(await activate(key!, 'machine-b', '10.0.0.2')).toMatchObject({ valid: true });
    expect(await activate(key!, 'machine-c', '10.0.0.1')).toMatchObject({
      valid: false,
      reason: 'hwid_limit_reached',
    });
    expect(await activate(key!, 'machine-a', '10.0.0.3')).toMatchObject({ valid: true });
    expect(await activate(key!, 'machine-b', '10.0.0.4')).toMatchObject({
      valid: false,
      reason: 'ip_limit_reached',
    });
    const [freed] = await sql()`select app.deactivate_license('test', ${key!}, 'machine-b') as n`;
    expect(freed!.n).toBe(1);
    expect(await activate(key!, 'machine-c', '10.0.0.2')).toMatchObject({ valid: true });

    // A partial refund keeps the license; refunding the rest revokes it.
    await stack.emulator.stripe.refunds.create({ payment_intent: bought.payment_intent!, amount: 1000 });
    await relayAll(stack);
    expect((await licensesOf(bought.session))[0]!.status).toBe('active');
    await stack.emulator.stripe.refunds.create({ payment_intent: bought.payment_intent! });
    await relayAll(stack);
    const [revoked] = await licensesOf(bought.session);
    expect(revoked).toMatchObject({ status: 'revoked', revoked_reason: 'refunded' });
    expect(revoked!.revoked_at).not.toBeNull();
    expect(await validate(key!)).toMatchObject({ valid: false, reason: 'revoked' });
    expect(await activate(key!, 'machine-a', '10.0.0.1')).toMatchObject({ valid: false, reason: 'revoked' });
  });

  it('ACTIVATION expiry starts at the first activation; a product without terms issues no license', async () => {
    const user = freshUser('timed');
    const bought = await checkout(user, checkoutBody(timedApp.price));
    const plain = await checkout(user, checkoutBody(plainPrice));
    await relayAll(stack);
    expect(await licensesOf(plain.session)).toEqual([]);
    const [license] = await licensesOf(bought.session);
    expect(license).toMatchObject({
      expiration_days: 365,
      expiration_start: 'ACTIVATION',
      expires_at: null,
      hwid_limit: null,
    });
    const key = (await reveal(license!.id))!;
    expect(await validate(key)).toMatchObject({ valid: true });
    await activate(key, 'box', '192.0.2.1');
    const [activated] = await licensesOf(bought.session);
    expect(activated!.activated_at).not.toBeNull();
    const expires = new Date(activated!.expires_at).getTime();
    expect(expires - new Date(activated!.activated_at).getTime()).toBe(365 * DAY * 1000);
    expect(await validate(key, new Date(expires - 1000))).toMatchObject({ valid: true });
    expect(await validate(key, new Date(expires + 1000))).toMatchObject({ valid: false, reason: 'expired' });
  });

  it('duplicated and shuffled deliveries issue the same single license (no second key)', async () => {
    const { control } = stack.emulator;
    for (const seed of [3, 17]) {
      await control.setDeliveryMode({ duplicate: 1, shuffle: true, seed });
      try {
        const user = freshUser('dup');
        const bought = await checkout(user, checkoutBody(desktopApp.price));
        const deliveries = await relayAll(stack);
        expect(deliveries.some((d) => d.outcome === 'duplicate')).toBe(true);
        const rows = await licensesOf(bought.session);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ status: 'active', subject_id: user, hwid_limit: 2 });
        const [reveals] =
          await sql()`select count(*)::int as n from app.license_key_reveals where license_id = ${rows[0]!.id}`;
        expect(reveals!.n).toBe(1);
        // Replaying everything again changes nothing.
        await relayAll(stack);
        expect((await licensesOf(bought.session))[0]!.key_hash).toBe(rows[0]!.key_hash);
      } finally {
        await control.setDeliveryMode({ duplicate: 0, shuffle: false });
      }
    }
  });
});

describe('licenses recipe: subject later', () => {
  it('a subscription of an unmapped customer gets its license at once and its subject when the customer is mapped', async () => {
    const { stripe } = stack.emulator;
    const customer = await stripe.customers.create({
      email: 'later@example.com',
      payment_method: 'pm_card_visa',
    });
    const pms = await stripe.customers.listPaymentMethods(customer.id);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: cloudApp.price }],
      default_payment_method: pms.data[0]!.id,
    });
    await relayAll(stack);
    const [before] = await licensesOf(sub.id);
    expect(before).toMatchObject({ subject_id: null, status: 'active', stripe_customer_id: customer.id });
    await stripe.customers.update(customer.id, {
      metadata: { paywire_subject_type: 'org', paywire_subject_id: `org_${sub.id}` },
    });
    await relayAll(stack);
    const rows = await licensesOf(sub.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subject_type: 'org',
      subject_id: `org_${sub.id}`,
      key_hash: before!.key_hash,
    });
  });
});

describe('licenses recipe: roles', () => {
  it("the app's service role validates and reads licenses but never the plaintext table; end users can do neither", async () => {
    const user = freshUser('roles');
    const bought = await checkout(user, checkoutBody(desktopApp.price));
    await relayAll(stack);
    const [license] = await licensesOf(bought.session);
    const db = sql();
    const asRole = (role: string, text: string, params: unknown[] = []) =>
      db
        .transaction([db.query(`set local role ${role}`), db.query(text, params)])
        .then((r) => r[1] as Array<Record<string, unknown>>);
    const key = (
      await asRole('paywire_service', 'select app.reveal_license_key($1::uuid) as k', [license!.id])
    )[0]!.k as string;
    expect(key).toMatch(/^lk_/);
    const checked = await asRole('paywire_service', `select app.validate_license('test', $1) as r`, [key]);
    expect(checked[0]!.r).toMatchObject({ valid: true });
    const seen = await asRole(
      'paywire_service',
      'select count(*)::int as n from app.licenses where id = $1',
      [license!.id],
    );
    expect(seen[0]!.n).toBe(1);
    await expect(asRole('paywire_service', 'select * from app.license_key_reveals')).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      asRole('authenticated', `select app.validate_license('test', $1) as r`, [key]),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('licenses recipe: subscriptions', () => {
  it('subscription start issues one license valid to period end; renewal extends it; failed renewal → expires at the paid-through date', async () => {
    const user = freshUser('sublic');
    const subscribed = await checkout(user, checkoutBody(cloudApp.price, { mode: 'subscription' }));
    await relayAll(stack);
    const subscription = subscribed.subscription!;
    const [license, ...more] = await licensesOf(subscription);
    expect(more).toEqual([]);
    const [sub] = await sql()`select current_period_start, current_period_end from paywire.subscriptions
      where stripe_subscription_id = ${subscription}`;
    expect(license).toMatchObject({
      source: 'subscription',
      stripe_subscription_id: subscription,
      subject_id: user,
      hwid_limit: 1,
      status: 'active',
    });
    expect(new Date(license!.expires_at).getTime()).toBe(new Date(sub!.current_period_end).getTime());
    const key = (await reveal(license!.id))!;
    expect(await activate(key, 'laptop', '198.51.100.1')).toMatchObject({ valid: true });

    await stack.emulator.control.advanceClock(32 * DAY);
    await relayAll(stack);
    const [renewed] = await licensesOf(subscription);
    const [sub2] = await sql()`select status, current_period_end from paywire.subscriptions
      where stripe_subscription_id = ${subscription}`;
    expect(sub2!.status).toBe('active');
    expect(new Date(renewed!.expires_at).getTime()).toBe(new Date(sub2!.current_period_end).getTime());
    expect(new Date(renewed!.expires_at).getTime()).toBeGreaterThan(new Date(license!.expires_at).getTime());
    const paidThrough = new Date(renewed!.expires_at).getTime();

    // The next renewal fails: the license stops at the end of the paid period.
    await stack.emulator.control.setPaymentBehavior(subscribed.customer!, { fail: true });
    await stack.emulator.control.advanceClockTo(Math.ceil(paidThrough / 1000) + 2 * 3600);
    await relayAll(stack);
    const [pastDue] =
      await sql()`select status from paywire.subscriptions where stripe_subscription_id = ${subscription}`;
    expect(pastDue!.status).toBe('past_due');
    const [lapsed] = await licensesOf(subscription);
    expect(new Date(lapsed!.expires_at).getTime()).toBe(paidThrough);
    expect(await validate(key, new Date(paidThrough - 1000))).toMatchObject({ valid: true });
    expect(await validate(key, new Date(paidThrough + 1000))).toMatchObject({
      valid: false,
      reason: 'expired',
    });

    // Every retry fails and the subscription is canceled: still expired at the paid-through date.
    await stack.emulator.control.advanceClock(20 * DAY);
    await relayAll(stack);
    const [canceled] =
      await sql()`select status from paywire.subscriptions where stripe_subscription_id = ${subscription}`;
    expect(canceled!.status).toBe('canceled');
    const [ended] = await licensesOf(subscription);
    expect(new Date(ended!.expires_at).getTime()).toBe(paidThrough);
    expect(await licensesOf(subscription)).toHaveLength(1);
  });

  it('trialing subscription: license until the trial ends; duplicated and shuffled deliveries → one license', async () => {
    const { control } = stack.emulator;
    await control.setDeliveryMode({ duplicate: 1, shuffle: true, seed: 5 });
    try {
      const user = freshUser('trial');
      const subscribed = await checkout(
        user,
        checkoutBody(cloudApp.price, { mode: 'subscription', trialPeriodDays: 7 }),
      );
      await relayAll(stack);
      const rows = await licensesOf(subscribed.subscription!);
      expect(rows).toHaveLength(1);
      const [sub] = await sql()`select status, trial_end from paywire.subscriptions
        where stripe_subscription_id = ${subscribed.subscription!}`;
      expect(sub!.status).toBe('trialing');
      expect(new Date(rows[0]!.expires_at).getTime()).toBe(new Date(sub!.trial_end).getTime());
      const [reveals] =
        await sql()`select count(*)::int as n from app.license_key_reveals where license_id = ${rows[0]!.id}`;
      expect(reveals!.n).toBe(1);
    } finally {
      await control.setDeliveryMode({ duplicate: 0, shuffle: false });
    }
  });
});

describe('licenses recipe: purchases made outside Paywire, catalog late', () => {
  it('a session with metadata license_price whose price and product arrive last (their deliveries failed first) gets its license then', async () => {
    const { stripe, control } = stack.emulator;
    const late = await catalogPrice('Late plugin', { hwid_limit: '4', expiration_days: '30' });
    const user = freshUser('link');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: late.price, quantity: 1 }],
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
      client_reference_id: `user:${user}`,
      metadata: { license_price: late.price },
    });
    await control.completeCheckout(session.id);
    await relayHoldingBack(stack, ['product.created', 'price.created']);
    const [cs] =
      await sql()`select status from paywire.checkout_sessions where stripe_checkout_session_id = ${session.id}`;
    expect(cs!.status).toBe('completed');
    expect(await licensesOf(session.id)).toEqual([]);

    const later = await relayAll(stack);
    expect(later.map((d) => d.type).sort()).toEqual(['price.created', 'product.created']);
    const [license, ...more] = await licensesOf(session.id);
    expect(more).toEqual([]);
    expect(license).toMatchObject({
      subject_type: 'user',
      subject_id: user,
      stripe_product_id: late.product,
      hwid_limit: 4,
      expiration_days: 30,
      expiration_start: 'CREATION',
    });
    expect(new Date(license!.expires_at).getTime() - new Date(license!.issued_at).getTime()).toBe(
      30 * DAY * 1000,
    );
    expect(await reveal(license!.id)).toMatch(/^lk_/);
  });
});
