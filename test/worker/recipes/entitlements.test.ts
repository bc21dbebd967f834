/**
 * The entitlements recipe (recipes/entitlements) against real emulator flows: checkouts by a
 * signed-in user through the Worker (or emulator-made sessions carrying a subject), renewals
 * and failed renewals driven by the emulator's clock and dunning, upgrades through the Stripe
 * API, every webhook signed and relayed to the Worker; the app's rows are asserted.
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
let pro: { product: string; price: string };
let team: { product: string; price: string };
const sql = () => sqlFor(stack.env);

async function catalogPrice(
  name: string,
  productMeta: Record<string, string>,
  priceMeta: Record<string, string>,
) {
  const { stripe } = stack.emulator;
  const product = await stripe.products.create({ name, metadata: productMeta });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 2500,
    currency: 'usd',
    recurring: { interval: 'month' },
    metadata: priceMeta,
  });
  return { product: product.id, price: price.id };
}

beforeAll(async () => {
  stack = await runtimeStack('entitlements recipe');
  // Installing twice is harmless.
  await installRecipe(stack.env, 'entitlements');
  await installRecipe(stack.env, 'entitlements');
  pro = await catalogPrice(
    'Pro',
    { plan: 'pro', feature_sso: 'false', limit_projects: '10', feature_api: 'yes' },
    { feature_sso: 'true', limit_seats: 'unlimited' },
  );
  team = await catalogPrice('Team', { plan: 'team', limit_projects: '100', feature_sso: 'true' }, {});
  await relayAll(stack);
});

/** A subscription checkout asked for by `user` through the Worker, paid, webhooks relayed. */
async function subscribe(user: string, price: string, extra: Record<string, unknown> = {}) {
  const created = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
    headers: await userHeaders(user),
    body: checkoutBody(price, { mode: 'subscription', ...extra }),
  });
  expect(created.status, created.text).toBe(201);
  const done = await stack.emulator.control.completeCheckout(created.json.stripeCheckoutSessionId);
  expect(done.outcome).toBe('completed');
  await relayAll(stack);
  return { subscription: done.subscription!, customer: done.customer! };
}

async function entitlementOf(subscription: string) {
  const rows = await sql()`select * from app.entitlements where stripe_subscription_id = ${subscription}`;
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function has(user: string, name: string, at?: Date, type = 'user') {
  const [row] = at
    ? await sql()`select app.has_entitlement('test', ${type}, ${user}, ${name}, ${at.toISOString()}::timestamptz) as ok`
    : await sql()`select app.has_entitlement('test', ${type}, ${user}, ${name}) as ok`;
  return row!.ok as boolean;
}

describe('entitlements recipe', () => {
  it('subscribe → active entitlement with plan, features (price over product), quantity; view and has_entitlement', async () => {
    const user = freshUser('ent');
    const { subscription, customer } = await subscribe(user, pro.price);
    const e = await entitlementOf(subscription);
    expect(e).toMatchObject({
      environment: 'test',
      subject_type: 'user',
      subject_id: user,
      stripe_customer_id: customer,
      state: 'active',
      subscription_status: 'active',
      plan: 'pro',
      quantity: 1,
      stripe_price_id: pro.price,
      stripe_product_id: pro.product,
      past_due_since: null,
      revoked_at: null,
    });
    expect(e.features).toEqual({ sso: true, api: true, projects: 10, seats: 'unlimited' });
    expect(e.granted_at).not.toBeNull();

    const view = await sql()`select plan, subject_id from app.active_entitlements where subject_id = ${user}`;
    expect(view).toEqual([{ plan: 'pro', subject_id: user }]);
    expect(await has(user, 'pro')).toBe(true);
    expect(await has(user, 'sso')).toBe(true);
    expect(await has(user, 'projects')).toBe(true);
    expect(await has(user, 'team')).toBe(false);
    expect(await has(user, 'nothing')).toBe(false);
    expect(await has(freshUser('other'), 'pro')).toBe(false);
    const [limits] =
      await sql()`select app.entitlement_limit('test', 'user', ${user}, 'projects')::text as projects,
      app.entitlement_limit('test', 'user', ${user}, 'seats')::text as seats`;
    expect(limits).toEqual({ projects: '10', seats: 'Infinity' });
  });

  it('trial → trialing with trial_end; the trial ends and the first invoice is paid → active', async () => {
    const user = freshUser('trial');
    const { subscription } = await subscribe(user, pro.price, { trialPeriodDays: 14 });
    const e = await entitlementOf(subscription);
    expect(e.state).toBe('trialing');
    expect(e.trial_end).not.toBeNull();
    expect(await has(user, 'pro')).toBe(true);

    await stack.emulator.control.advanceClock(15 * DAY);
    await relayAll(stack);
    const after = await entitlementOf(subscription);
    expect(after.state).toBe('active');
    expect(new Date(after.current_period_end).getTime()).toBeGreaterThan(new Date(e.trial_end).getTime());
  });

  it('renewal extends the period; a failed renewal → grace for the configured period, then revoked', async () => {
    const user = freshUser('dunning');
    const { subscription, customer } = await subscribe(user, pro.price);
    const first = await entitlementOf(subscription);

    await stack.emulator.control.advanceClock(32 * DAY);
    await relayAll(stack);
    const renewed = await entitlementOf(subscription);
    expect(renewed.state).toBe('active');
    expect(new Date(renewed.current_period_end).getTime()).toBeGreaterThan(
      new Date(first.current_period_end).getTime(),
    );

    // The card starts failing: the next renewal leaves the subscription past_due.
    await stack.emulator.control.setPaymentBehavior(customer, { fail: true });
    await stack.emulator.control.setDunning({ retry_days: [3, 5], final_action: 'unpaid' });
    const untilRenewal = new Date(renewed.current_period_end).getTime() / 1000 + 2 * 3600;
    await stack.emulator.control.advanceClockTo(Math.ceil(untilRenewal));
    await relayAll(stack);
    const grace = await entitlementOf(subscription);
    expect(grace).toMatchObject({ state: 'grace', subscription_status: 'past_due', plan: 'pro' });
    const since = new Date(grace.past_due_since).getTime();
    expect(since).toBeGreaterThanOrEqual(new Date(renewed.current_period_end).getTime());
    expect(await has(user, 'pro')).toBe(true);
    expect(await has(user, 'pro', new Date(since + 6 * DAY * 1000))).toBe(true);
    expect(await has(user, 'pro', new Date(since + 7 * DAY * 1000 + 1000))).toBe(false);
    // The grace period is a setting per environment.
    await sql()`update app.entitlement_settings set grace_period = interval '1 day' where environment = 'test'`;
    try {
      expect(await has(user, 'pro', new Date(since + 2 * DAY * 1000))).toBe(false);
      const [view] = await sql()`select grace_until from app.active_entitlements where subject_id = ${user}`;
      expect(new Date(view!.grace_until).getTime()).toBe(since + DAY * 1000);
    } finally {
      await sql()`update app.entitlement_settings set grace_period = interval '7 days' where environment = 'test'`;
    }

    // Every retry fails: dunning's final action leaves it unpaid → revoked.
    await stack.emulator.control.advanceClock(9 * DAY);
    await relayAll(stack);
    const revoked = await entitlementOf(subscription);
    expect(revoked).toMatchObject({ state: 'revoked', subscription_status: 'unpaid', past_due_since: null });
    expect(revoked.revoked_at).not.toBeNull();
    expect(await has(user, 'pro')).toBe(false);
    expect((await sql()`select 1 from app.active_entitlements where subject_id = ${user}`).length).toBe(0);
    await stack.emulator.control.setDunning({ retry_days: [3, 5, 7], final_action: 'cancel' });
  });

  it('upgrade and downgrade (a new price on the item) → new plan, features and quantity; cancel → revoked', async () => {
    const user = freshUser('upgrade');
    const { subscription } = await subscribe(user, pro.price);
    const { stripe } = stack.emulator;
    const sub = await stripe.subscriptions.retrieve(subscription);
    const item = sub.items.data[0]!.id;

    // An hour later: two updates in one second are ordered by event id alone (docs/projection.md).
    await stack.emulator.control.advanceClock(3600);
    await stripe.subscriptions.update(subscription, {
      items: [{ id: item, price: team.price, quantity: 5 }],
    });
    await relayAll(stack);
    const up = await entitlementOf(subscription);
    expect(up).toMatchObject({ state: 'active', plan: 'team', quantity: 5, stripe_price_id: team.price });
    expect(up.features).toEqual({ projects: 100, sso: true });
    expect(await has(user, 'team')).toBe(true);
    expect(await has(user, 'pro')).toBe(false);

    await stack.emulator.control.advanceClock(3600);
    await stripe.subscriptions.update(subscription, { items: [{ id: item, price: pro.price, quantity: 1 }] });
    await relayAll(stack);
    const down = await entitlementOf(subscription);
    expect(down).toMatchObject({ plan: 'pro', quantity: 1, stripe_price_id: pro.price });
    expect(down.features).toEqual({ sso: true, api: true, projects: 10, seats: 'unlimited' });

    await stripe.subscriptions.cancel(subscription);
    await relayAll(stack);
    const gone = await entitlementOf(subscription);
    expect(gone).toMatchObject({ state: 'revoked', subscription_status: 'canceled' });
    expect(gone.revoked_at).not.toBeNull();
    expect(await has(user, 'pro')).toBe(false);
  });

  it('a catalog edit after the subscription (product metadata) refreshes the entitlements that use it', async () => {
    const { stripe } = stack.emulator;
    const basic = await catalogPrice('Basic', { plan: 'basic', limit_projects: '1' }, {});
    await relayAll(stack);
    const user = freshUser('catalog');
    const { subscription } = await subscribe(user, basic.price);
    expect((await entitlementOf(subscription)).plan).toBe('basic');
    await stripe.products.update(basic.product, { metadata: { plan: 'basic-plus', limit_projects: '3' } });
    await relayAll(stack);
    const e = await entitlementOf(subscription);
    expect(e).toMatchObject({ plan: 'basic-plus', features: { projects: 3 } });
  });

  it('a team subject from an emulator-made session; duplicated and shuffled deliveries → the same single row', async () => {
    const { stripe, control } = stack.emulator;
    const results: Array<Record<string, unknown>> = [];
    for (const [i, mode] of [
      [0, { duplicate: 0, shuffle: false }],
      [1, { duplicate: 1, shuffle: true, seed: 11 }],
      [2, { duplicate: 2, shuffle: true, seed: 29 }],
    ] as const) {
      await control.setDeliveryMode(mode);
      try {
        const teamId = `team_${freshUser('t')}`;
        const subject = { paywire_subject_type: 'team', paywire_subject_id: teamId };
        const session = await stripe.checkout.sessions.create({
          mode: 'subscription',
          line_items: [{ price: team.price, quantity: 3 }],
          success_url: 'https://app.example/ok',
          cancel_url: 'https://app.example/cancel',
          client_reference_id: `team:${teamId}`,
          metadata: subject,
          subscription_data: { metadata: subject },
        });
        const done = await control.completeCheckout(session.id);
        const deliveries = await relayAll(stack);
        if (i > 0) expect(deliveries.some((d) => d.outcome === 'duplicate')).toBe(true);
        const rows = await sql()`select subject_type, subject_id, state, plan, features, quantity
          from app.entitlements where stripe_subscription_id = ${done.subscription!}`;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ subject_type: 'team', subject_id: teamId });
        expect(await has(teamId, 'team', undefined, 'team')).toBe(true);
        const { subject_id: _id, ...rest } = rows[0]!;
        results.push(rest);
      } finally {
        await control.setDeliveryMode({ duplicate: 0, shuffle: false });
      }
    }
    expect(results[0]).toEqual({
      subject_type: 'team',
      state: 'active',
      plan: 'team',
      features: { projects: 100, sso: true },
      quantity: 3,
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('the price and product projected AFTER the subscription (their deliveries failed first): the catalog triggers fill the plan in', async () => {
    const { stripe, control } = stack.emulator;
    const late = await catalogPrice('Late plan', { plan: 'late', feature_exports: 'on' }, {});
    const user = freshUser('late');
    const subject = { paywire_subject_type: 'user', paywire_subject_id: user };
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: late.price, quantity: 1 }],
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
      metadata: subject,
      subscription_data: { metadata: subject },
    });
    const done = await control.completeCheckout(session.id);
    await relayHoldingBack(stack, ['product.created', 'price.created']);
    const before = await entitlementOf(done.subscription!);
    expect(before).toMatchObject({ subject_id: user, state: 'active', plan: null, features: {} });
    expect(await has(user, 'exports')).toBe(false);

    const later = await relayAll(stack);
    expect(later.map((d) => d.type).sort()).toEqual(['price.created', 'product.created']);
    const e = await entitlementOf(done.subscription!);
    expect(e).toMatchObject({
      subject_id: user,
      state: 'active',
      plan: 'late',
      features: { exports: true },
      stripe_product_id: late.product,
    });
    expect(await has(user, 'exports')).toBe(true);
  });

  it('installed into a second schema later: existing subscriptions are filled in, both schemas follow on', async () => {
    await installRecipe(stack.env, 'entitlements', 'billing_b');
    const before = await sql()`select count(*)::int as n from app.entitlements`;
    const copied = await sql()`select count(*)::int as n from billing_b.entitlements`;
    expect(copied[0]!.n).toBe(before[0]!.n);
    const user = freshUser('both');
    const { subscription } = await subscribe(user, team.price);
    const [a] =
      await sql()`select plan, state from app.entitlements where stripe_subscription_id = ${subscription}`;
    const [b] =
      await sql()`select plan, state from billing_b.entitlements where stripe_subscription_id = ${subscription}`;
    expect(a).toEqual({ plan: 'team', state: 'active' });
    expect(b).toEqual(a);
    const triggers =
      await sql()`select tgname from pg_trigger where tgname like '%_entitlements_%' order by 1`;
    expect(triggers.map((t) => t.tgname)).toEqual(
      expect.arrayContaining(['app_entitlements_subscriptions', 'billing_b_entitlements_subscriptions']),
    );
  });

  it('the subject arrives later (the customer mapped after its subscription): the row takes it', async () => {
    const { stripe } = stack.emulator;
    const customer = await stripe.customers.create({
      email: 'later@example.com',
      payment_method: 'pm_card_visa',
    });
    const pms = await stripe.customers.listPaymentMethods(customer.id);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: pro.price, quantity: 4 }],
      default_payment_method: pms.data[0]!.id,
    });
    await relayAll(stack);
    const before = await entitlementOf(sub.id);
    expect(before).toMatchObject({
      subject_type: null,
      subject_id: null,
      state: 'active',
      plan: 'pro',
      quantity: 4,
    });
    const orgId = `org_${freshUser('o')}`;
    expect(await has(orgId, 'pro', undefined, 'org')).toBe(false);

    await stripe.customers.update(customer.id, {
      metadata: { paywire_subject_type: 'org', paywire_subject_id: orgId },
    });
    await relayAll(stack);
    const after = await entitlementOf(sub.id);
    expect(after).toMatchObject({ subject_type: 'org', subject_id: orgId, state: 'active', plan: 'pro' });
    expect(after.granted_at).toEqual(before.granted_at);
    expect(await has(orgId, 'pro', undefined, 'org')).toBe(true);
  });
});
