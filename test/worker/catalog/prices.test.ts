/**
 * Catalog writes on prices through the Worker: one-time and recurring prices (interval, count,
 * trial days), lookup keys and their transfer (the price losing the key is re-projected too),
 * updates, archive, idempotency, 400s naming the field and Stripe's refusals as 502.
 */
import { describe, expect, it } from 'vitest';
import { scanForSecrets, stripeApi } from '../admin/support';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { postEvent } from '../support/webhooks';
import { tableDigests } from '../support/worker';
import {
  adminCall,
  auditActions,
  connectedStack,
  eventsFor,
  priceRow,
  stripeCallCounter,
  stripeObject,
} from './support';

scanForSecrets();

const stack = await connectedStack();
const product = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Priced' });
const productId = product.json.id as string;
let seq = 0;
const lookup = (name: string) => `${name}_${Date.now().toString(36)}${seq++}`;

describe('POST /admin/v1/:env/prices', () => {
  it('creates a one-time price: Stripe and the projection row before answering', async () => {
    const res = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'EUR',
      unitAmount: 4900,
      nickname: 'Lifetime',
      metadata: { plan: 'lifetime' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      productId,
      currency: 'eur',
      unitAmount: 4900,
      type: 'one_time',
      recurring: null,
      nickname: 'Lifetime',
      metadata: { plan: 'lifetime' },
    });
    const inStripe = await stripeObject(stack.key, `/v1/prices/${res.json.id}`);
    expect(inStripe).toMatchObject({
      product: productId,
      currency: 'eur',
      unit_amount: 4900,
      type: 'one_time',
    });
    expect(await priceRow(stack.env, res.json.id)).toMatchObject({
      stripe_product_id: productId,
      unit_amount: '4900', // bigint column
      type: 'one_time',
      nickname: 'Lifetime',
    });
    expect(await auditActions(stack.env, res.json.id)).toEqual(['price.create']);
  });

  it('creates a recurring price with interval count, trial days and a lookup key', async () => {
    const key = lookup('pro_quarterly');
    const res = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'usd',
      unitAmount: 2500,
      recurring: { interval: 'month', intervalCount: 3, trialPeriodDays: 14 },
      lookupKey: key,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      type: 'recurring',
      lookupKey: key,
      recurring: { interval: 'month', intervalCount: 3, trialPeriodDays: 14 },
    });
    const inStripe = await stripeObject(stack.key, `/v1/prices/${res.json.id}`);
    expect(inStripe.recurring).toMatchObject({ interval: 'month', interval_count: 3, trial_period_days: 14 });
    expect(inStripe.lookup_key).toBe(key);
    expect(await priceRow(stack.env, res.json.id)).toMatchObject({
      recurring_interval: 'month',
      recurring_interval_count: 3,
      trial_period_days: 14,
      lookup_key: key,
    });
  });

  it('a taken lookup key is Stripe’s 502 with its message; transferLookupKey moves it and re-projects the old holder', async () => {
    const key = lookup('team_monthly');
    const body = {
      productId,
      currency: 'usd',
      unitAmount: 900,
      recurring: { interval: 'month' },
      lookupKey: key,
    };
    const first = await adminCall(stack, 'POST', '/admin/v1/test/prices', body);
    expect(first.status).toBe(201);

    const taken = await adminCall(stack, 'POST', '/admin/v1/test/prices', { ...body, unitAmount: 1000 });
    expect(taken.status).toBe(502);
    expectErrorShape(taken.json, 'STRIPE_ERROR');
    expect(taken.json.error.message).toContain('already uses that lookup key');

    const moved = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      ...body,
      unitAmount: 1000,
      transferLookupKey: true,
    });
    expect(moved.status, moved.text).toBe(201);
    expect(moved.json.lookupKey).toBe(key);
    expect((await stripeObject(stack.key, `/v1/prices/${first.json.id}`)).lookup_key).toBeNull();
    // Both rows are right before the response: no two prices hold the key in the projection.
    expect((await priceRow(stack.env, first.json.id))!.lookup_key).toBeNull();
    expect((await priceRow(stack.env, moved.json.id))!.lookup_key).toBe(key);
  });

  it('is idempotent per Idempotency-Key: Stripe called once; another body → 409', async () => {
    const key = `price-${Date.now()}`;
    const body = { productId, currency: 'usd', unitAmount: 700 };
    const counter = await stripeCallCounter(stack.key, '^/v1/prices$');
    try {
      const a = await adminCall(stack, 'POST', '/admin/v1/test/prices', body, key);
      const b = await adminCall(stack, 'POST', '/admin/v1/test/prices', body, key);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.json.id).toBe(a.json.id);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      const c = await adminCall(stack, 'POST', '/admin/v1/test/prices', { ...body, unitAmount: 701 }, key);
      expect(c.status).toBe(409);
      expectErrorShape(c.json, 'CONFLICT');
      expect(await counter.hits()).toBe(1);
    } finally {
      await counter.remove();
    }
  });

  it('bad input is a 400 naming the field, nothing written', async () => {
    const before = await tableDigests(stack.env);
    const base = { productId, currency: 'usd', unitAmount: 100 };
    const cases: Array<[unknown, string]> = [
      [{ ...base, unitAmount: -1 }, 'unitAmount'],
      [{ ...base, unitAmount: 1.5 }, 'unitAmount'],
      [{ ...base, unitAmount: 1e12 }, 'unitAmount'],
      [{ ...base, currency: 'dollars' }, 'currency'],
      [{ ...base, productId: 'price_1' }, 'productId'],
      [{ ...base, recurring: { interval: 'fortnight' } }, 'recurring.interval'],
      [{ ...base, recurring: { interval: 'month', intervalCount: 0 } }, 'recurring.intervalCount'],
      [{ ...base, recurring: { interval: 'month', trialPeriodDays: 731 } }, 'recurring.trialPeriodDays'],
      [{ ...base, transferLookupKey: true }, 'transferLookupKey'],
      [{ ...base, unit_amount: 100 }, 'unit_amount'],
      [{ currency: 'usd', unitAmount: 100 }, 'productId'],
    ];
    for (const [body, field] of cases) {
      const res = await adminCall(stack, 'POST', '/admin/v1/test/prices', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.message, JSON.stringify(body)).toContain(field);
    }
    expect(await tableDigests(stack.env)).toEqual(before);
  });

  it('a product Stripe does not know is a 502 with Stripe’s message', async () => {
    const res = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId: 'prod_nosuchproduct',
      currency: 'usd',
      unitAmount: 100,
    });
    expect(res.status).toBe(502);
    expectErrorShape(res.json, 'STRIPE_ERROR');
    expect(res.json.error.message).toContain('No such product');
  });
});

describe('PATCH /admin/v1/:env/prices/:id and archive', () => {
  it('updates nickname, metadata and lookup key (null removes); archive sets active=false', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'usd',
      unitAmount: 300,
      lookupKey: lookup('small'),
      metadata: { a: '1' },
    });
    const id = created.json.id as string;
    const res = await adminCall(stack, 'PATCH', `/admin/v1/test/prices/${id}`, {
      nickname: 'Small',
      metadata: { a: null, b: '2' },
      lookupKey: null,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ nickname: 'Small', lookupKey: null, metadata: { b: '2' } });
    expect(await stripeObject(stack.key, `/v1/prices/${id}`)).toMatchObject({
      nickname: 'Small',
      lookup_key: null,
      metadata: { b: '2' },
    });
    expect(await priceRow(stack.env, id)).toMatchObject({ nickname: 'Small', lookup_key: null });

    const archived = await adminCall(stack, 'POST', `/admin/v1/test/prices/${id}/archive`);
    expect(archived.status, archived.text).toBe(200);
    expect(archived.json.active).toBe(false);
    expect((await stripeObject(stack.key, `/v1/prices/${id}`)).active).toBe(false);
    expect((await priceRow(stack.env, id))!.active).toBe(false);
    expect(await auditActions(stack.env, id)).toEqual(['price.create', 'price.update', 'price.archive']);
  });

  it('archiving the product’s default price is Stripe’s refusal (502 with its message), row unchanged', async () => {
    const price = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'usd',
      unitAmount: 5,
    });
    await adminCall(stack, 'PATCH', `/admin/v1/test/products/${productId}`, {
      defaultPriceId: price.json.id,
    });
    const res = await adminCall(stack, 'POST', `/admin/v1/test/prices/${price.json.id}/archive`);
    expect(res.status).toBe(502);
    expect(res.json.error.message).toContain('default price');
    expect((await priceRow(stack.env, price.json.id))!.active).toBe(true);
    await adminCall(stack, 'PATCH', `/admin/v1/test/products/${productId}`, { defaultPriceId: null });
  });

  it('an older price webhook cannot undo an archive done through the API', async () => {
    const price = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'usd',
      unitAmount: 6,
      nickname: 'v1',
    });
    const id = price.json.id as string;
    await adminCall(stack, 'POST', `/admin/v1/test/prices/${id}/archive`);
    const archivedRow = await priceRow(stack.env, id);
    expect(archivedRow!.active).toBe(false);
    const created = (await eventsFor(stack.key, id)).filter((e) => e.type === 'price.created');
    expect(created).toHaveLength(1);
    expect((await postEvent(stack.env, created[0] as never)).status).toBe(200);
    expect(await priceRow(stack.env, id)).toEqual(archivedRow);
  });

  it('PATCH and archive under a key used for another request are 409 CONFLICT: Stripe not called, nothing written', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId,
      currency: 'usd',
      unitAmount: 8,
    });
    const id = created.json.id as string;
    const key = `price-patch-${Date.now().toString(36)}${seq++}`;
    const first = await adminCall(stack, 'PATCH', `/admin/v1/test/prices/${id}`, { nickname: 'One' }, key);
    expect(first.status, first.text).toBe(200);
    const counter = await stripeCallCounter(stack.key, `/v1/prices/${id}`);
    try {
      const before = await tableDigests(stack.env);
      const patch = await adminCall(stack, 'PATCH', `/admin/v1/test/prices/${id}`, { nickname: 'Two' }, key);
      expect(patch.status).toBe(409);
      expectErrorShape(patch.json, 'CONFLICT');
      expect(patch.json.error.message).toContain(`Idempotency-Key "${key}" was already used`);
      const archive = await adminCall(stack, 'POST', `/admin/v1/test/prices/${id}/archive`, undefined, key);
      expect(archive.status).toBe(409);
      expectErrorShape(archive.json, 'CONFLICT');
      expect(archive.json.error.message).toContain('(price.update)');
      expect(await counter.hits()).toBe(0);
      expect(await tableDigests(stack.env)).toEqual(before);
    } finally {
      await counter.remove();
    }
    expect(await stripeObject(stack.key, `/v1/prices/${id}`)).toMatchObject({
      nickname: 'One',
      active: true,
    });
    expect(await priceRow(stack.env, id)).toMatchObject({ nickname: 'One', active: true });
  });

  it('archive on an environment without a connection is 409 NOT_CONNECTED, nothing written', async () => {
    const before = await tableDigests(stack.env);
    const res = await adminCall(stack, 'POST', '/admin/v1/live/prices/price_abc/archive');
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
    expect(await tableDigests(stack.env)).toEqual(before);
  });

  it('PATCH of a price Stripe does not know is a 502 with Stripe’s message; nothing written', async () => {
    const before = await tableDigests(stack.env);
    const res = await adminCall(stack, 'PATCH', '/admin/v1/test/prices/price_nosuchprice', { nickname: 'x' });
    expect(res.status).toBe(502);
    expectErrorShape(res.json, 'STRIPE_ERROR');
    expect(res.json.error.message).toContain('No such price');
    expect(res.text).not.toContain(stack.key);
    expect(await tableDigests(stack.env)).toEqual(before); // the key claim was released too
  });

  it('an empty patch is a 400', async () => {
    const res = await adminCall(stack, 'PATCH', '/admin/v1/test/prices/price_abc', {});
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('nothing to change');
    const direct = await stripeApi(stack.key, 'GET', '/v1/prices/price_abc');
    expect(direct.status).toBe(404);
  });
});

runAdminSecurityTests({
  method: 'POST',
  path: '/admin/v1/{env}/prices',
  body: { productId: 'prod_abc', currency: 'usd', unitAmount: 100 },
});
runAdminSecurityTests({ method: 'PATCH', path: '/admin/v1/{env}/prices/price_abc', body: { nickname: 'x' } });
runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/prices/price_abc/archive' });
