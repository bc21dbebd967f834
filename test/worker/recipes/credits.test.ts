/**
 * Recipe `credits` (recipes/credits/install.sql) against real emulator flows through the Worker:
 * a credit pack bought through the runtime API grants credits once, refunds take them back pro
 * rata (one reversal per refund, the rounding remainder settled by a full refund), whatever the
 * delivery order; spend_credits() never takes a balance below zero.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { relay } from '../support/emulator';
import {
  freshUser,
  type RuntimeStack,
  relayAll,
  relayHoldingBack,
  runtimeStack,
} from '../support/runtime-stack';
import { sqlFor } from '../support/worker';
import {
  buy,
  installRecipe,
  oneTimePrice,
  recordedPurchase,
  redeliverEverything,
  withShuffledDeliveries,
} from './support';

let stack: RuntimeStack;
/** 100 credits for 1000 (price metadata) */
let pack: string;
/** 7 credits for 300 (product metadata), so pro rata reversals round */
let odd: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('recipe credits');
  await installRecipe(stack.env, 'credits');
  pack = (await oneTimePrice(stack, { unitAmount: 1000, priceCredits: '100', productCredits: '5' })).price;
  odd = (await oneTimePrice(stack, { unitAmount: 300, productCredits: '7' })).price;
});

async function ledgerOf(user: string) {
  return sql()`select reason, credits::int as credits, source_id, stripe_refund_id from app.credit_ledger
    where environment = 'test' and subject_type = 'user' and subject_id = ${user} order by id`;
}

async function balanceOf(user: string): Promise<number | null> {
  const rows = await sql()`select balance::int as balance from app.credit_balances
    where environment = 'test' and subject_type = 'user' and subject_id = ${user}`;
  return rows[0]?.balance ?? null;
}

/** Ledger rows as a set (reason, credits, source), independent of insertion order. */
function asSet(rows: Array<Record<string, unknown>>) {
  return rows.map((r) => `${r.reason}:${r.credits}:${r.source_id}`).sort();
}

describe('recipe credits', () => {
  it('a purchase grants price metadata credits × quantity once; refunds reverse pro rata down to zero', async () => {
    const user = freshUser('credits');
    const purchase = await buy(stack, user, [{ price: pack, quantity: 3 }]);
    await relayAll(stack);
    expect(await ledgerOf(user)).toEqual([
      { reason: 'purchase', credits: 300, source_id: purchase.session, stripe_refund_id: null },
    ]);
    expect(await balanceOf(user)).toBe(300);

    const partial = await stack.emulator.stripe.refunds.create({
      payment_intent: purchase.paymentIntent,
      amount: 1000,
    });
    await relayAll(stack);
    expect(await ledgerOf(user)).toEqual([
      expect.objectContaining({ reason: 'purchase', credits: 300 }),
      { reason: 'refund', credits: -100, source_id: partial.id, stripe_refund_id: partial.id },
    ]);
    expect(await balanceOf(user)).toBe(200);

    const rest = await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent });
    await relayAll(stack);
    expect(asSet(await ledgerOf(user))).toEqual(
      asSet([
        { reason: 'purchase', credits: 300, source_id: purchase.session },
        { reason: 'refund', credits: -100, source_id: partial.id },
        { reason: 'refund', credits: -200, source_id: rest.id },
      ]),
    );
    expect(await balanceOf(user)).toBe(0);
  });

  it('product metadata counts when the price has none; rounding is settled by the full refund', async () => {
    const user = freshUser('odd');
    // 7 credits × 2 = 14 credits for 600
    const purchase = await buy(stack, user, [{ price: odd, quantity: 2 }]);
    const first = await stack.emulator.stripe.refunds.create({
      payment_intent: purchase.paymentIntent,
      amount: 100,
    });
    await relayAll(stack);
    // 100/600 × 14 = 2.33 → 2 (rounded down)
    expect(asSet(await ledgerOf(user))).toEqual(
      asSet([
        { reason: 'purchase', credits: 14, source_id: purchase.session },
        { reason: 'refund', credits: -2, source_id: first.id },
      ]),
    );
    const second = await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent });
    await relayAll(stack);
    // 500/600 × 14 = 11.67 → 11; the remainder row takes the last credit
    expect(asSet(await ledgerOf(user))).toEqual(
      asSet([
        { reason: 'purchase', credits: 14, source_id: purchase.session },
        { reason: 'refund', credits: -2, source_id: first.id },
        { reason: 'refund', credits: -11, source_id: second.id },
        { reason: 'refund_remainder', credits: -1, source_id: purchase.session },
      ]),
    );
    expect(await balanceOf(user)).toBe(0);
  });

  it('duplicated and shuffled deliveries (refunds possibly before the purchase) never double-grant', async () => {
    for (const seed of [1, 9, 21]) {
      const user = freshUser(`shuffle${seed}`);
      const purchase = await buy(stack, user, [{ price: pack, quantity: 2 }]);
      const refund = await stack.emulator.stripe.refunds.create({
        payment_intent: purchase.paymentIntent,
        amount: 500,
      });
      await withShuffledDeliveries(stack, seed, () => relayAll(stack));
      expect(asSet(await ledgerOf(user))).toEqual(
        asSet([
          { reason: 'purchase', credits: 200, source_id: purchase.session },
          { reason: 'refund', credits: -50, source_id: refund.id },
        ]),
      );
      expect(await balanceOf(user)).toBe(150);
    }
    // Stripe redelivering everything, and every purchase recomputed from the projection, change nothing
    const snapshot = () =>
      sql()`select id, credits::int, subject_id, details, updated_at from app.credit_ledger order by id`;
    const before = await snapshot();
    await redeliverEverything(stack, 4);
    await sql()`select app.credits_refresh(environment, source_id) from app.credit_ledger where reason = 'purchase'`;
    expect(await snapshot()).toEqual(before);
  });

  it('a purchase of a price without credits metadata grants nothing', async () => {
    const plain = (await oneTimePrice(stack, { unitAmount: 500 })).price;
    const user = freshUser('plain');
    await buy(stack, user, [{ price: plain, quantity: 1 }]);
    await relayAll(stack);
    expect(await ledgerOf(user)).toEqual([]);
  });

  it('spend_credits spends once per idempotency key and refuses to go below zero', async () => {
    const user = freshUser('spender');
    await buy(stack, user, [{ price: pack, quantity: 1 }]);
    await relayAll(stack);
    const spend = (amount: number, key: string) =>
      sql()`select credits::int as credits, reason from app.spend_credits('test', 'user', ${user}, ${amount}, 'export', ${key})`;
    expect(await spend(60, 'k1')).toEqual([{ credits: -60, reason: 'export' }]);
    expect(await spend(60, 'k1')).toEqual([{ credits: -60, reason: 'export' }]);
    expect(await balanceOf(user)).toBe(40);
    await expect(spend(41, 'k2')).rejects.toThrow(/insufficient credits/);
    await expect(spend(10, 'k1')).rejects.toThrow(/another amount/);
    await expect(
      sql()`select app.spend_credits('test', 'user', ${user}, 1, 'purchase', 'k3')`,
    ).rejects.toThrow(/reason/);
    expect(await spend(40, 'k2')).toEqual([{ credits: -40, reason: 'export' }]);
    expect(await balanceOf(user)).toBe(0);
    expect((await ledgerOf(user)).map((r) => r.credits)).toEqual([100, -60, -40]);
  });

  it('concurrent, duplicated deliveries (four relays at once; real concurrency on Postgres) grant once', async () => {
    const user = freshUser('concurrent');
    const purchase = await buy(stack, user, [{ price: pack, quantity: 4 }]);
    const refund = await stack.emulator.stripe.refunds.create({
      payment_intent: purchase.paymentIntent,
      amount: 1000,
    });
    await stack.emulator.control.setDeliveryMode({ duplicate: 1, shuffle: true, seed: 17 });
    try {
      const runs = await Promise.all([1, 2, 3, 4].map(() => relay(stack.env, stack.emulator.control)));
      expect(runs.flat().filter((d) => d.status !== 200)).toEqual([]);
    } finally {
      await stack.emulator.control.setDeliveryMode({ duplicate: 0, shuffle: false });
    }
    expect(asSet(await ledgerOf(user))).toEqual(
      asSet([
        { reason: 'purchase', credits: 400, source_id: purchase.session },
        { reason: 'refund', credits: -100, source_id: refund.id },
      ]),
    );
  });

  it('a purchase whose subject arrives later (customer mapped afterwards) moves to that subject', async () => {
    // As Paywire projects a session created elsewhere but carrying a Paywire-style request row:
    // the checkout row and its payment row name a customer that is not mapped yet.
    const session = `cs_test_late_${Date.now()}`;
    const customer = `cus_late_${Date.now()}`;
    await sql()`insert into paywire.checkout_sessions (environment, mode, request, status, stripe_checkout_session_id, stripe_customer_id)
      values ('test', 'payment', ${JSON.stringify({ lineItems: [{ price: pack, quantity: 1 }] })}::jsonb, 'completed', ${session}, ${customer})`;
    await sql()`insert into paywire.payment_history (environment, kind, stripe_object_id, stripe_customer_id,
        stripe_checkout_session_id, stripe_payment_intent_id, amount, currency, status, occurred_at, raw)
      values ('test', 'checkout_session', ${session}, ${customer}, ${session}, ${`pi_late_${Date.now()}`}, 1000, 'usd', 'paid', now(), '{}')`;
    const [grant] = await sql()`select subject_id, credits::int as credits from app.credit_ledger
      where reason = 'purchase' and source_id = ${session}`;
    expect(grant).toEqual({ subject_id: null, credits: 100 });
    await sql()`insert into paywire.customer_mappings (environment, subject_type, subject_id, stripe_customer_id, source)
      values ('test', 'org', 'org_late', ${customer}, 'metadata')`;
    expect(
      await sql()`select balance::int as balance from app.credit_balances where subject_type = 'org' and subject_id = 'org_late'`,
    ).toEqual([{ balance: 100 }]);
  });
});

describe('recipe credits: the catalog arrives after the purchase', () => {
  it('a pack whose product (carrying the credits) is projected after the checkout grants then, once', async () => {
    const { stripe } = stack.emulator;
    const product = await stripe.products.create({ name: 'Late pack', metadata: { credits: '9' } });
    const price = await stripe.prices.create({ product: product.id, unit_amount: 400, currency: 'usd' });
    // the price is projected (the runtime API sells only projected prices), its product is not
    await relayHoldingBack(stack, ['product.created']);
    const user = freshUser('lateproduct');
    const purchase = await buy(stack, user, [{ price: price.id, quantity: 2 }]);
    // the checkout's events are processed; product.created fails again
    await relayHoldingBack(stack, ['product.created']);
    const [paid] = await sql()`select status from paywire.payment_history
      where kind = 'checkout_session' and stripe_object_id = ${purchase.session}`;
    expect(paid).toEqual({ status: 'paid' });
    expect(await ledgerOf(user)).toEqual([]);

    const later = await relayAll(stack);
    expect(later.map((d) => d.type)).toEqual(['product.created']);
    const granted = [
      { reason: 'purchase', credits: 18, source_id: purchase.session, stripe_refund_id: null },
    ];
    expect(await ledgerOf(user)).toEqual(granted);

    // later catalog edits, redeliveries and refreshes never grant again nor change the grant
    await stripe.products.update(product.id, { metadata: { credits: '50' } });
    await stripe.prices.update(price.id, { metadata: { credits: '70' } });
    await relayAll(stack);
    await redeliverEverything(stack, 5);
    await sql()`select app.credits_refresh('test', ${purchase.session})`;
    expect(await ledgerOf(user)).toEqual(granted);
    expect(await balanceOf(user)).toBe(18);
  });

  it('a price whose metadata gains credits after the purchase (price.updated last) grants then', async () => {
    const plain = (await oneTimePrice(stack, { unitAmount: 250 })).price;
    const user = freshUser('latemeta');
    const purchase = await buy(stack, user, [{ price: plain, quantity: 3 }]);
    await stack.emulator.stripe.prices.update(plain, { metadata: { credits: '4' } });
    await relayHoldingBack(stack, ['price.updated']);
    expect(await ledgerOf(user)).toEqual([]);
    expect((await relayAll(stack)).map((d) => d.type)).toEqual(['price.updated']);
    expect(await ledgerOf(user)).toEqual([
      { reason: 'purchase', credits: 12, source_id: purchase.session, stripe_refund_id: null },
    ]);
  });

  it('a recorded purchase whose price.created and product.created arrive last grants once, refunds included', async () => {
    const { stripe } = stack.emulator;
    const product = await stripe.products.create({ name: 'Unseen pack' });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 500,
      currency: 'usd',
      metadata: { credits: '30' },
    });
    await relayHoldingBack(stack, ['product.created', 'price.created']);
    expect(await sql()`select 1 from paywire.prices where stripe_price_id = ${price.id}`).toEqual([]);
    const user = freshUser('unseen');
    const purchase = await recordedPurchase(stack, user, [{ price: price.id, quantity: 2 }], 1000, 400);
    expect(await ledgerOf(user)).toEqual([]);

    const later = await relayAll(stack);
    expect(later.map((d) => d.type).sort()).toEqual(['price.created', 'product.created']);
    // 60 credits; the refund recorded before the catalog (400 of 1000) reverses 24 of them
    expect(asSet(await ledgerOf(user))).toEqual(
      asSet([
        { reason: 'purchase', credits: 60, source_id: purchase.session },
        { reason: 'refund', credits: -24, source_id: purchase.refund },
      ]),
    );
    await redeliverEverything(stack, 6);
    expect(await balanceOf(user)).toBe(36);
    expect((await ledgerOf(user)).filter((r) => r.reason === 'purchase')).toHaveLength(1);
  });
});
