/**
 * Test → live promotion through the Worker: both environments connected to one emulator
 * account (its test and live books). Dry run writes nothing; apply makes live hold the test
 * catalog (matched by lookup key, then metadata paywire_key); a second apply writes nothing;
 * a later change in test (rename, new amount under the same lookup key) is promoted as an
 * update and a price replacement.
 */
import { describe, expect, it } from 'vitest';
import { scanForSecrets, stripeApi, stripeDown } from '../admin/support';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { sqlFor, tableDigests } from '../support/worker';
import { adminCall, connectedStack } from './support';

scanForSecrets();

const stack = await connectedStack({ live: true });
const tag = Date.now().toString(36);

async function post(path: string, body: unknown) {
  const res = await adminCall(stack, 'POST', path, body);
  expect(res.status, res.text).toBe(201);
  return res.json;
}

// The test catalog: Pro (paywire_key) with two recurring prices by lookup key and a default;
// Starter (no key) with a one-time price without lookup key; an archived product.
const pro = await post('/admin/v1/test/products', {
  name: 'Pro',
  metadata: { paywire_key: `pro_${tag}`, plan: 'pro' },
});
const proMonthly = await post('/admin/v1/test/prices', {
  productId: pro.id,
  currency: 'usd',
  unitAmount: 2000,
  recurring: { interval: 'month', trialPeriodDays: 7 },
  lookupKey: `pro_monthly_${tag}`,
});
await post('/admin/v1/test/prices', {
  productId: pro.id,
  currency: 'usd',
  unitAmount: 20000,
  recurring: { interval: 'year' },
  lookupKey: `pro_yearly_${tag}`,
  nickname: 'Yearly',
});
await adminCall(stack, 'PATCH', `/admin/v1/test/products/${pro.id}`, { defaultPriceId: proMonthly.id });
const starter = await post('/admin/v1/test/products', { name: 'Starter' });
await post('/admin/v1/test/prices', { productId: starter.id, currency: 'eur', unitAmount: 500 });
const old = await post('/admin/v1/test/products', { name: 'Retired' });
await adminCall(stack, 'POST', `/admin/v1/test/products/${old.id}/archive`);
// Only in live:
const legacy = await post('/admin/v1/live/products', { name: 'Legacy' });

async function promote(apply: boolean) {
  const res = await adminCall(stack, 'POST', '/admin/v1/catalog/promote', {
    from: 'test',
    to: 'live',
    apply,
  });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

async function liveStripe(path: string) {
  const res = await stripeApi(stack.liveKey, 'GET', path, { limit: '100' });
  expect(res.status).toBe(200);
  return res.json.data as any[];
}

const actions = (plan: any) => plan.steps.map((s: any) => `${s.kind} ${s.action} ${s.name ?? s.key}`).sort();

describe('POST /admin/v1/catalog/promote', () => {
  it('dry run: the plan, and nothing written anywhere', async () => {
    const before = await tableDigests(stack.env);
    const liveBefore = await liveStripe('/v1/products');
    const plan = await promote(false);
    expect(plan.applied).toBe(false);
    expect(plan.writes).toBe(0);
    expect(plan.summary).toEqual({ create: 5, update: 0, unchanged: 0, onlyInTarget: 1 });
    expect(actions(plan)).toEqual(
      [
        'product create Pro',
        'product create Starter',
        'product only-in-target Legacy',
        `price create lookup:pro_monthly_${tag}`,
        `price create lookup:pro_yearly_${tag}`,
        'price create key:',
      ]
        .map((a) => (a === 'price create key:' ? expect.stringMatching(/^price create key:price_/) : a))
        .sort(),
    );
    expect(await tableDigests(stack.env)).toEqual(before);
    expect(await liveStripe('/v1/products')).toEqual(liveBefore);
  });

  it('apply: live holds the test catalog (prices, lookup keys, trial, default price); a second apply writes nothing', async () => {
    const applied = await promote(true);
    expect(applied.applied).toBe(true);
    expect(applied.writes).toBe(6); // 2 products, 3 prices, 1 default price

    const liveProducts = await liveStripe('/v1/products');
    const livePro = liveProducts.find((p) => p.name === 'Pro');
    expect(livePro.metadata).toEqual({ paywire_key: `pro_${tag}`, plan: 'pro' });
    expect(liveProducts.find((p) => p.name === 'Retired')).toBeUndefined();
    const livePrices = await liveStripe('/v1/prices');
    const monthly = livePrices.find((p) => p.lookup_key === `pro_monthly_${tag}`);
    expect(monthly).toMatchObject({ product: livePro.id, unit_amount: 2000, livemode: true });
    expect(monthly.recurring).toMatchObject({ interval: 'month', trial_period_days: 7 });
    expect(livePro.default_price).toBe(monthly.id);
    const starterPrice = livePrices.find((p) => p.currency === 'eur');
    expect(starterPrice.metadata.paywire_key).toMatch(/^price_/);
    // projected before the response
    const rows = await sqlFor(stack.env).query(
      "select name, default_price_id from paywire.products where environment = 'live' order by name",
    );
    expect(rows).toEqual([
      { name: 'Legacy', default_price_id: null },
      { name: 'Pro', default_price_id: monthly.id },
      { name: 'Starter', default_price_id: null },
    ]);
    expect(legacy.id).toBeDefined();

    const again = await promote(true);
    expect(again.writes).toBe(0);
    expect(again.summary).toEqual({ create: 0, update: 0, unchanged: 5, onlyInTarget: 1 });
    expect(await liveStripe('/v1/products')).toHaveLength(liveProducts.length);
    expect(await liveStripe('/v1/prices')).toHaveLength(livePrices.length);
  });

  it('a later change in test is an update, a new amount a replacement; then unchanged again', async () => {
    await adminCall(stack, 'PATCH', `/admin/v1/test/products/${pro.id}`, { name: 'Pro (2027)' });
    const newMonthly = await post('/admin/v1/test/prices', {
      productId: pro.id,
      currency: 'usd',
      unitAmount: 2500,
      recurring: { interval: 'month', trialPeriodDays: 7 },
      lookupKey: `pro_monthly_${tag}`,
      transferLookupKey: true,
    });
    await adminCall(stack, 'PATCH', `/admin/v1/test/products/${pro.id}`, { defaultPriceId: newMonthly.id });
    await adminCall(stack, 'POST', `/admin/v1/test/prices/${proMonthly.id}/archive`);

    const plan = await promote(false);
    const updates = plan.steps.filter((s: any) => s.action === 'update');
    expect(updates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'product', name: 'Pro (2027)', changes: ['name'] }),
        expect.objectContaining({
          kind: 'price',
          key: `lookup:pro_monthly_${tag}`,
          changes: ['unitAmount'],
          replace: true,
        }),
      ]),
    );
    const applied = await promote(true);
    expect(applied.writes).toBe(4); // rename, new price, default price, archive the old one

    const livePrices = await liveStripe('/v1/prices');
    const current = livePrices.find((p) => p.lookup_key === `pro_monthly_${tag}`);
    expect(current.unit_amount).toBe(2500);
    const replaced = livePrices.filter((p) => p.unit_amount === 2000 && p.recurring?.interval === 'month');
    expect(replaced.map((p) => [p.active, p.lookup_key])).toEqual([[false, null]]);
    const livePro = (await liveStripe('/v1/products')).find((p) => p.name === 'Pro (2027)');
    expect(livePro.default_price).toBe(current.id);

    const again = await promote(true);
    expect(again.writes).toBe(0);
    expect(again.summary.create + again.summary.update).toBe(0);
  });

  it('from and to must differ (400 naming to); an unconnected target cannot be applied to', async () => {
    const same = await adminCall(stack, 'POST', '/admin/v1/catalog/promote', { from: 'test', to: 'test' });
    expect(same.status).toBe(400);
    expect(same.json.error.message).toContain('to');
    const other = await connectedStack();
    await adminCall(other, 'POST', '/admin/v1/test/products', { name: 'Only test' });
    const dry = await adminCall(other, 'POST', '/admin/v1/catalog/promote', { from: 'test', to: 'live' });
    expect(dry.status).toBe(200);
    expect(dry.json.summary.create).toBe(1);
    const res = await adminCall(other, 'POST', '/admin/v1/catalog/promote', {
      from: 'test',
      to: 'live',
      apply: true,
    });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
  });
});

describe('POST /admin/v1/catalog/promote: failures write nothing', () => {
  it('Stripe refusing a live write is a 502 naming the step with Stripe’s message; nothing written; a rerun completes', async () => {
    const own = await connectedStack({ live: true });
    const created = await adminCall(own, 'POST', '/admin/v1/test/products', { name: 'Refused' });
    expect(created.status, created.text).toBe(201);
    const restore = await stripeDown(own.liveKey, '^/v1/products$', 'POST', {
      status: 400,
      message: 'Products cannot be created in this account right now.',
    });
    try {
      const before = await tableDigests(own.env);
      const res = await adminCall(own, 'POST', '/admin/v1/catalog/promote', {
        from: 'test',
        to: 'live',
        apply: true,
      });
      expect(res.status, res.text).toBe(502);
      expectErrorShape(res.json, 'STRIPE_ERROR');
      expect(res.json.error.message).toContain(`promote product ${created.json.id} (create)`);
      expect(res.json.error.message).toContain('Products cannot be created in this account right now.');
      expect(res.text).not.toContain(own.liveKey);
      // no live row, no idempotency key left claimed, no audit entry
      expect(await tableDigests(own.env)).toEqual(before);
    } finally {
      await restore();
    }
    const live = await stripeApi(own.liveKey, 'GET', '/v1/products', { limit: '100' });
    expect(live.json.data).toEqual([]);
    const rerun = await adminCall(own, 'POST', '/admin/v1/catalog/promote', {
      from: 'test',
      to: 'live',
      apply: true,
    });
    expect(rerun.status, rerun.text).toBe(200);
    expect(rerun.json.writes).toBe(1);
  });

  it('a completed write whose live row was removed from the projection (e.g. a database restore) is a 404; nothing written', async () => {
    const own = await connectedStack({ live: true });
    await adminCall(own, 'POST', '/admin/v1/test/products', { name: 'Restored away' });
    const first = await adminCall(own, 'POST', '/admin/v1/catalog/promote', {
      from: 'test',
      to: 'live',
      apply: true,
    });
    expect(first.status, first.text).toBe(200);
    const liveId = first.json.steps[0].targetId as string;
    expect(liveId).toMatch(/^prod_/);
    await sqlFor(own.env).query(
      "delete from paywire.products where environment = 'live' and stripe_product_id = $1",
      [liveId],
    );
    // The plan creates the product again under the same derived key, which already completed:
    // the stored result names an object the projection no longer holds.
    const before = await tableDigests(own.env);
    const res = await adminCall(own, 'POST', '/admin/v1/catalog/promote', {
      from: 'test',
      to: 'live',
      apply: true,
    });
    expect(res.status, res.text).toBe(404);
    expectErrorShape(res.json, 'NOT_FOUND');
    expect(res.json.error.message).toContain(`${liveId} is no longer mirrored`);
    expect(await tableDigests(own.env)).toEqual(before);
    const live = await stripeApi(own.liveKey, 'GET', '/v1/products', { limit: '100' });
    expect(live.json.data.map((p: { id: string }) => p.id)).toEqual([liveId]); // Stripe not written twice
  });
});

runAdminSecurityTests({
  method: 'POST',
  path: '/admin/v1/catalog/promote',
  body: { from: 'test', to: 'live' },
});
