import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../../drizzle/schema';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { call, dbFor } from '../support/worker';
import { adminEnv, scanForSecrets, seedMirror } from './support';

scanForSecrets();

const ids = (json: { data: Array<{ id: string }> }) => json.data.map((r) => r.id);

describe('admin read API over the projection', () => {
  const env = adminEnv();
  let a: Awaited<ReturnType<typeof seedMirror>>;
  let b: Awaited<ReturnType<typeof seedMirror>>;

  // Two of everything, the second one inactive / canceled / failed / older, and a deleted product.
  beforeAll(async () => {
    a = await seedMirror(env, 'test', 'a');
    b = await seedMirror(env, 'test', 'b');
    const db = dbFor(env);
    await db.batch([
      db
        .update(schema.products)
        .set({ active: false })
        .where(eq(schema.products.stripeProductId, b.productId)),
      db
        .update(schema.prices)
        .set({ active: false, type: 'one_time', recurringInterval: null })
        .where(eq(schema.prices.stripePriceId, b.priceId)),
      db
        .update(schema.subscriptions)
        .set({ status: 'canceled' })
        .where(eq(schema.subscriptions.stripeSubscriptionId, b.subscriptionId)),
      db
        .update(schema.paymentHistory)
        .set({ status: 'failed', kind: 'invoice', occurredAt: new Date('2020-01-01T00:00:00Z') })
        .where(eq(schema.paymentHistory.stripeObjectId, b.paymentId)),
      db.insert(schema.products).values({
        environment: 'test',
        stripeProductId: 'prod_gone',
        name: 'Gone',
        active: false,
        raw: {},
        deletedAt: new Date(),
      }),
    ]);
  });

  it('GET products: newest first, active filter, deleted only on request, shaped in camelCase', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/products', { admin: true });
    expect(res.status).toBe(200);
    expect(ids(res.json)).toEqual([b.productId, a.productId]);
    expect(res.json.data[1]).toEqual({
      id: a.productId,
      name: 'Plan a',
      description: null,
      active: true,
      defaultPriceId: null,
      metadata: {},
      created: null,
      deleted: false,
      updatedAt: expect.any(String),
    });
    expect(res.json.nextCursor).toBeNull();
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/products?active=true', { admin: true })).json),
    ).toEqual([a.productId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/products?includeDeleted=true', { admin: true })).json),
    ).toContain('prod_gone');
  });

  it('GET products pages with a cursor', async () => {
    const page1 = await call(env, 'GET', '/admin/v1/test/products?limit=1', { admin: true });
    expect(ids(page1.json)).toEqual([b.productId]);
    const page2 = await call(env, 'GET', `/admin/v1/test/products?limit=1&cursor=${page1.json.nextCursor}`, {
      admin: true,
    });
    expect(page2.json).toMatchObject({ nextCursor: null });
    expect(ids(page2.json)).toEqual([a.productId]);
  });

  it('GET prices: product, active, type filters; recurring details', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/prices', { admin: true });
    expect(ids(res.json)).toEqual([b.priceId, a.priceId]);
    expect(res.json.data[1]).toMatchObject({
      id: a.priceId,
      productId: a.productId,
      currency: 'usd',
      unitAmount: 900,
      type: 'recurring',
      recurring: { interval: 'month', intervalCount: 1, trialPeriodDays: null },
      lookupKey: 'lk_a',
    });
    expect(
      ids((await call(env, 'GET', `/admin/v1/test/prices?product=${a.productId}`, { admin: true })).json),
    ).toEqual([a.priceId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/prices?type=one_time', { admin: true })).json),
    ).toEqual([b.priceId]);
    expect(ids((await call(env, 'GET', '/admin/v1/test/prices?active=true', { admin: true })).json)).toEqual([
      a.priceId,
    ]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/prices?lookupKey=lk_b', { admin: true })).json),
    ).toEqual([b.priceId]);
  });

  it('GET customers: with their billing subject; email and subject filters', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/customers', { admin: true });
    expect(ids(res.json)).toEqual([b.customerId, a.customerId]);
    expect(res.json.data[1]).toMatchObject({
      id: a.customerId,
      email: 'a@example.com',
      subject: { type: 'user', id: 'ua' },
    });
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/customers?email=A@EXAMPLE.COM', { admin: true })).json),
    ).toEqual([a.customerId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/customers?subject=user:ub', { admin: true })).json),
    ).toEqual([b.customerId]);
  });

  it('GET subscriptions: items included; status, customer, subject and price filters', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/subscriptions', { admin: true });
    expect(ids(res.json)).toEqual([b.subscriptionId, a.subscriptionId]);
    expect(res.json.data[1]).toMatchObject({
      id: a.subscriptionId,
      customerId: a.customerId,
      subject: { type: 'user', id: 'ua' },
      status: 'active',
      priceId: a.priceId,
      currentPeriodEnd: '2030-01-01T00:00:00.000Z',
      items: [{ id: a.itemId, priceId: a.priceId, productId: a.productId, quantity: 1 }],
    });
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/subscriptions?status=canceled', { admin: true })).json),
    ).toEqual([b.subscriptionId]);
    expect(
      ids(
        (await call(env, 'GET', `/admin/v1/test/subscriptions?customer=${a.customerId}`, { admin: true }))
          .json,
      ),
    ).toEqual([a.subscriptionId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/subscriptions?subject=user:ua', { admin: true })).json),
    ).toEqual([a.subscriptionId]);
    expect(
      ids((await call(env, 'GET', `/admin/v1/test/subscriptions?price=${b.priceId}`, { admin: true })).json),
    ).toEqual([b.subscriptionId]);
  });

  it('GET payments: newest occurrence first; kind, status, subject and since filters', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/payments', { admin: true });
    expect(ids(res.json)).toEqual([a.paymentId, b.paymentId]);
    expect(res.json.data[0]).toMatchObject({
      id: a.paymentId,
      kind: 'payment_intent',
      amount: 900,
      currency: 'usd',
      status: 'succeeded',
      subject: { type: 'user', id: 'ua' },
    });
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/payments?kind=invoice', { admin: true })).json),
    ).toEqual([b.paymentId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/payments?status=failed', { admin: true })).json),
    ).toEqual([b.paymentId]);
    expect(
      ids((await call(env, 'GET', '/admin/v1/test/payments?subject=user:ub', { admin: true })).json),
    ).toEqual([b.paymentId]);
    expect(
      ids(
        (await call(env, 'GET', '/admin/v1/test/payments?since=2025-01-01T00:00:00Z', { admin: true })).json,
      ),
    ).toEqual([a.paymentId]);
  });

  it('rejects malformed filters with 400', async () => {
    for (const path of [
      '/admin/v1/test/products?active=yes',
      '/admin/v1/test/prices?product=price_123',
      '/admin/v1/test/subscriptions?status=weird',
      '/admin/v1/test/customers?subject=nocolon',
      '/admin/v1/test/payments?since=yesterday',
      '/admin/v1/test/payments?limit=0',
      '/admin/v1/test/products?cursor=%%%',
    ]) {
      const res = await call(env, 'GET', path, { admin: true });
      expect(res.status, path).toBe(400);
      expectErrorShape(res.json, 'VALIDATION_FAILED');
    }
  });
});

const isolation = (key: keyof Awaited<ReturnType<typeof seedMirror>>) => ({
  seed: async (env: ReturnType<typeof adminEnv>) => [(await seedMirror(env, 'test', 'iso'))[key]],
  ids,
});
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/products', isolation: isolation('productId') });
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/prices', isolation: isolation('priceId') });
runAdminSecurityTests({
  method: 'GET',
  path: '/admin/v1/{env}/customers',
  isolation: isolation('customerId'),
});
runAdminSecurityTests({
  method: 'GET',
  path: '/admin/v1/{env}/subscriptions',
  isolation: isolation('subscriptionId'),
});
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/payments', isolation: isolation('paymentId') });
