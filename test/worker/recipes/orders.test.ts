/**
 * Recipe `orders` (recipes/orders/install.sql) against real emulator flows through the Worker:
 * a signed-in user buys through the runtime API, the emulator's signed webhooks are relayed, and
 * the app's `orders` rows follow the purchase and its refunds, whatever the delivery order.
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
import {
  buy,
  installRecipe,
  oneTimePrice,
  recordedPurchase,
  redeliverEverything,
  withShuffledDeliveries,
} from './support';

let stack: RuntimeStack;
let price: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('recipe orders');
  await installRecipe(stack.env, 'orders');
  price = (await oneTimePrice(stack, { unitAmount: 1200, lookupKey: 'orders_pack' })).price;
});

async function orderOf(session: string) {
  return sql()`select environment, subject_type, subject_id, stripe_customer_id, stripe_payment_intent_id,
      amount::int as amount, currency, line_items, status, amount_refunded::int as amount_refunded
    from app.orders where stripe_checkout_session_id = ${session}`;
}

describe('recipe orders', () => {
  it('a purchase is one paid order with its line items; refunds mark it partially, then fully refunded', async () => {
    const purchase = await buy(stack, freshUser('buyer'), [{ price, quantity: 2 }]);
    await relayAll(stack);
    expect(await orderOf(purchase.session)).toEqual([
      {
        environment: 'test',
        subject_type: 'user',
        subject_id: purchase.user,
        stripe_customer_id: purchase.customer,
        stripe_payment_intent_id: purchase.paymentIntent,
        amount: 2400,
        currency: 'usd',
        line_items: [
          {
            price,
            lookup_key: 'orders_pack',
            product: expect.stringMatching(/^prod_/),
            quantity: 2,
            unit_amount: 1200,
            currency: 'usd',
          },
        ],
        status: 'paid',
        amount_refunded: 0,
      },
    ]);

    await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent, amount: 1000 });
    await relayAll(stack);
    expect(await orderOf(purchase.session)).toEqual([
      expect.objectContaining({ status: 'partially_refunded', amount_refunded: 1000 }),
    ]);

    await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent });
    await relayAll(stack);
    expect(await orderOf(purchase.session)).toEqual([
      expect.objectContaining({ status: 'refunded', amount_refunded: 2400 }),
    ]);
  });

  it('a lookup key in the request resolves to its price', async () => {
    const purchase = await buy(stack, freshUser('lookup'), [{ lookupKey: 'orders_pack', quantity: 1 }]);
    await relayAll(stack);
    const [order] = await orderOf(purchase.session);
    expect(order!.line_items).toEqual([
      expect.objectContaining({ price, lookup_key: 'orders_pack', quantity: 1 }),
    ]);
    expect(order!.amount).toBe(1200);
  });

  it('duplicated and shuffled deliveries of purchase and refund end in the same single order', async () => {
    for (const seed of [3, 11]) {
      const purchase = await buy(stack, freshUser(`shuffled${seed}`), [{ price, quantity: 3 }]);
      await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent, amount: 600 });
      await withShuffledDeliveries(stack, seed, () => relayAll(stack));
      expect(await orderOf(purchase.session)).toEqual([
        expect.objectContaining({
          subject_id: purchase.user,
          amount: 3600,
          status: 'partially_refunded',
          amount_refunded: 600,
          line_items: [expect.objectContaining({ price, quantity: 3 })],
        }),
      ]);
    }
    // Stripe redelivering everything, and every order recomputed from the projection, change nothing
    const snapshot = () =>
      sql()`select id, status, amount_refunded::int, line_items, subject_id, updated_at from app.orders order by id`;
    const before = await snapshot();
    await redeliverEverything(stack, 5);
    await sql()`select app.orders_refresh(environment, stripe_checkout_session_id) from app.orders`;
    expect(await snapshot()).toEqual(before);
  });

  it('a subscription checkout is not an order', async () => {
    const { stripe } = stack.emulator;
    const product = await stripe.products.create({ name: 'Monthly' });
    const monthly = await stripe.prices.create({
      product: product.id,
      unit_amount: 900,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    await relayAll(stack);
    const user = freshUser('subscriber');
    const created = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
      headers: await userHeaders(user),
      body: checkoutBody(monthly.id, { mode: 'subscription' }),
    });
    expect(created.status, created.text).toBe(201);
    await stack.emulator.control.completeCheckout(created.json.stripeCheckoutSessionId);
    await relayAll(stack);
    expect(await sql()`select 1 from app.orders where subject_id = ${user}`).toEqual([]);
  });

  it('a session created outside Paywire becomes an order without line items; its subject arrives with a later mapping', async () => {
    const { stripe, control } = stack.emulator;
    const customer = await stripe.customers.create({ email: 'outside@example.com' });
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      line_items: [{ price, quantity: 1 }],
      success_url: 'https://app.example/ok',
    });
    await control.completeCheckout(session.id);
    await relayAll(stack);
    expect(await orderOf(session.id)).toEqual([
      expect.objectContaining({
        subject_type: null,
        subject_id: null,
        stripe_customer_id: customer.id,
        line_items: [],
        status: 'paid',
        amount: 1200,
      }),
    ]);
    // The app maps the customer later: Paywire backfills the payment row, the order follows.
    await sql()`insert into paywire.customer_mappings (environment, subject_type, subject_id, stripe_customer_id, source)
      values ('test', 'team', 'team_late', ${customer.id}, 'metadata')`;
    expect(await orderOf(session.id)).toEqual([
      expect.objectContaining({ subject_type: 'team', subject_id: 'team_late' }),
    ]);
  });

  it('installing again is harmless, and purchases made before the install become orders', async () => {
    const purchase = await buy(stack, freshUser('early'), [{ price, quantity: 1 }]);
    await relayAll(stack);
    await sql()`drop schema app2 cascade`.catch(() => undefined);
    await installRecipe(stack.env, 'orders', 'app2');
    await installRecipe(stack.env, 'orders', 'app2');
    const [order] =
      await sql()`select status, subject_id from app2.orders where stripe_checkout_session_id = ${purchase.session}`;
    expect(order).toEqual({ status: 'paid', subject_id: purchase.user });
    expect((await sql()`select count(*)::int as n from app2.orders`)[0]!.n).toBe(
      (await sql()`select count(*)::int as n from app.orders`)[0]!.n,
    );
    // both schemas' triggers keep working side by side
    await stack.emulator.stripe.refunds.create({ payment_intent: purchase.paymentIntent });
    await relayAll(stack);
    for (const schema of ['app', 'app2']) {
      const rows = await sql().query(
        `select status from ${schema}.orders where stripe_checkout_session_id = $1`,
        [purchase.session],
      );
      expect(rows).toEqual([{ status: 'refunded' }]);
    }
  });
});

describe('recipe orders: the catalog arrives after the purchase', () => {
  it('a purchase whose price.created and product.created arrive last gets complete line items then, once', async () => {
    const { stripe } = stack.emulator;
    const product = await stripe.products.create({ name: 'Late goods' });
    const byId = await stripe.prices.create({ product: product.id, unit_amount: 700, currency: 'usd' });
    const byKey = await stripe.prices.create({
      product: product.id,
      unit_amount: 300,
      currency: 'usd',
      lookup_key: 'orders_late_key',
    });
    await relayHoldingBack(stack, ['product.created', 'price.created']);
    const user = freshUser('lateitems');
    const purchase = await recordedPurchase(
      stack,
      user,
      [
        { price: byId.id, quantity: 2 },
        { lookupKey: 'orders_late_key', quantity: 1 },
      ],
      1700,
    );
    expect(await orderOf(purchase.session)).toEqual([
      expect.objectContaining({
        subject_id: user,
        amount: 1700,
        status: 'paid',
        line_items: [
          { price: byId.id, lookup_key: null, product: null, quantity: 2, unit_amount: null, currency: null },
          {
            price: null,
            lookup_key: 'orders_late_key',
            product: null,
            quantity: 1,
            unit_amount: null,
            currency: null,
          },
        ],
      }),
    ]);

    const later = await relayAll(stack);
    expect(later.map((d) => d.type).sort()).toEqual(['price.created', 'price.created', 'product.created']);
    const complete = [
      {
        price: byId.id,
        lookup_key: null,
        product: product.id,
        quantity: 2,
        unit_amount: 700,
        currency: 'usd',
      },
      {
        price: byKey.id,
        lookup_key: 'orders_late_key',
        product: product.id,
        quantity: 1,
        unit_amount: 300,
        currency: 'usd',
      },
    ];
    expect(await orderOf(purchase.session)).toEqual([
      expect.objectContaining({ status: 'paid', amount: 1700, line_items: complete }),
    ]);

    // complete line items are written once: the catalog moving on, redeliveries and refreshes keep them
    const snapshot = () =>
      sql()`select id, line_items, updated_at from app.orders where stripe_checkout_session_id = ${purchase.session}`;
    const before = await snapshot();
    await stripe.prices.create({
      product: product.id,
      unit_amount: 350,
      currency: 'usd',
      lookup_key: 'orders_late_key',
      transfer_lookup_key: true,
    });
    await stripe.prices.update(byId.id, { active: false });
    await relayAll(stack);
    await redeliverEverything(stack, 8);
    await sql()`select app.orders_refresh('test', ${purchase.session})`;
    expect(await snapshot()).toEqual(before);
  });
});
