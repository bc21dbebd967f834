import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { raw, startEmulator } from './helpers';

// List pagination over thousands of seeded objects: every object exactly once, newest first,
// ⌈N/100⌉ calls, and a page costs the objects it returns (no quadratic walk).

let emu: StripeEmulator;

beforeAll(async () => {
  emu = await startEmulator({
    accounts: [{ id: 'acct_bigbook' }, { id: 'acct_smallbook' }, { id: 'acct_filters' }],
  });
});
afterAll(() => emu.close());

/** Walks a list with `starting_after` the way a sync does; returns the ids and the calls made. */
async function walk(
  key: string,
  path: string,
  query: string,
): Promise<{ ids: string[]; calls: number; created: number[] }> {
  const ids: string[] = [];
  const created: number[] = [];
  let calls = 0;
  let after: string | undefined;
  for (;;) {
    const res = await raw(emu, 'GET', `${path}?limit=100${query}${after ? `&starting_after=${after}` : ''}`, {
      key,
    });
    calls++;
    expect(res.status).toBe(200);
    const page = res.json as { data: Array<{ id: string; created: number }>; has_more: boolean };
    for (const o of page.data) {
      ids.push(o.id);
      created.push(o.created);
    }
    if (!page.has_more) return { ids, calls, created };
    after = page.data.at(-1)!.id;
  }
}

describe('list pagination over a large book', () => {
  const key = () => emu.accounts[0]!.testSecretKey;

  it('pages 10k products and 50k subscriptions: each once, newest first, ⌈N/100⌉ calls, in reasonable time', async () => {
    const control = emu.control(key());
    const seeded = await control.seed({ products: 10_000, customers: 5_000, subscriptions: 50_000 });
    expect(seeded).toMatchObject({ products: 10_000, prices: 10_000, subscriptions: 50_000, events: 0 });

    const started = Date.now();
    const products = await walk(key(), '/v1/products', '');
    const productMs = Date.now() - started;
    expect(products.calls).toBe(100);
    expect(new Set(products.ids).size).toBe(10_000);
    expect(products.created).toEqual([...products.created].sort((a, b) => b - a));

    const subsStarted = Date.now();
    const subs = await walk(key(), '/v1/subscriptions', '&status=all');
    const subsMs = Date.now() - subsStarted;
    expect(subs.calls).toBe(500);
    expect(new Set(subs.ids).size).toBe(50_000);
    const state = await control.objects<{ id: string }>('subscription', ['id']);
    expect(new Set(subs.ids)).toEqual(new Set(state.data.map((s) => s.id)));
    // Generous bounds for a shared 2-core machine; a quadratic walk takes minutes here.
    console.log(`seed ${seeded.ms} ms, products walk ${productMs} ms, subscriptions walk ${subsMs} ms`);
    expect(productMs).toBeLessThan(20_000);
    expect(subsMs).toBeLessThan(60_000);
  }, 180_000);

  it("the issue's account (1,200 products, 2,500 prices, 3,000 customers, 5,000 subscriptions) lists in ⌈N/100⌉ calls per resource", async () => {
    const created = await emu.control().createAccount({ id: 'acct_issue11' });
    const key11 = created.test_secret_key;
    const control = emu.control(key11);
    await control.seed({
      products: 1200,
      prices: 2500,
      inactive_prices: 100,
      customers: 3000,
      subscriptions: { active: 4500, trialing: 300, canceled: 200 },
    });
    await control.resetCounters();
    const walked: Record<string, number> = {};
    for (const [resource, query] of [
      ['products', ''],
      ['prices', ''],
      ['customers', ''],
      ['subscriptions', '&status=all'],
    ] as const) {
      const { ids } = await walk(key11, `/v1/${resource}`, query);
      walked[resource] = new Set(ids).size;
    }
    expect(walked).toEqual({ products: 1200, prices: 2500, customers: 3000, subscriptions: 5000 });
    expect((await control.counters()).list_calls).toEqual({
      products: 12,
      prices: 25,
      customers: 30,
      subscriptions: 50,
    });
  }, 60_000);

  it('ending_before walks back to the start, pages in display order', async () => {
    const small = emu.accounts[1]!.testSecretKey;
    await emu.control(small).seed({ products: 25 });
    const all = (await walk(small, '/v1/products', '')).ids;
    const res = await raw(emu, 'GET', `/v1/products?limit=10&ending_before=${all[15]}`, { key: small });
    const page = res.json as { data: Array<{ id: string }>; has_more: boolean };
    expect(page.data.map((p) => p.id)).toEqual(all.slice(5, 15));
    expect(page.has_more).toBe(true);
    const first = await raw(emu, 'GET', `/v1/products?limit=10&ending_before=${all[5]}`, { key: small });
    expect((first.json as { data: Array<{ id: string }>; has_more: boolean }).data.map((p) => p.id)).toEqual(
      all.slice(0, 5),
    );
    expect((first.json as { has_more: boolean }).has_more).toBe(false);
  });

  it('a cursor filtered out of the list still works; an unknown cursor is resource_missing', async () => {
    const small = emu.accounts[1]!.testSecretKey;
    const stripe = emu.client(small);
    const products = (await stripe.products.list({ limit: 100 })).data;
    await stripe.products.update(products[3]!.id, { active: false });
    const after = await stripe.products.list({ active: true, limit: 100, starting_after: products[3]!.id });
    expect(after.data.map((p) => p.id)).toEqual(products.slice(4).map((p) => p.id));
    const err = (await stripe.prices
      .list({ starting_after: 'price_nope' })
      .catch((e: unknown) => e)) as Stripe.errors.StripeError;
    expect(err).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'starting_after' });
  });

  it('filters prices by active and subscriptions by status=all, expanding data.items and data.default_price', async () => {
    const small = emu.accounts[2]!.testSecretKey;
    const control = emu.control(small);
    await control.seed({
      products: 3,
      prices: 6,
      inactive_prices: 2,
      customers: 4,
      subscriptions: { active: 3, canceled: 2, trialing: 1 },
    });
    const stripe = emu.client(small);
    const inactive = await stripe.prices.list({ active: false, limit: 100 });
    expect(inactive.data).toHaveLength(2);
    expect(inactive.data.every((p) => p.active === false)).toBe(true);
    expect((await stripe.prices.list({ active: true, limit: 100 })).data).toHaveLength(4);
    const byDefault = await stripe.subscriptions.list({ limit: 100 });
    const all = await stripe.subscriptions.list({
      status: 'all',
      limit: 100,
      expand: ['data.items.data.price'],
    });
    expect(all.data).toHaveLength(6);
    expect(byDefault.data).toHaveLength(4);
    expect(all.data.map((s) => s.status).sort()).toEqual([
      'active',
      'active',
      'active',
      'canceled',
      'canceled',
      'trialing',
    ]);
    expect(all.data[0]!.items.data[0]!.price.object).toBe('price');
    const deep = await stripe.subscriptions.list({ status: 'all', limit: 2, expand: ['data.customer'] });
    expect((deep.data[0]!.customer as Stripe.Customer).object).toBe('customer');
    const products = await stripe.products.list({ limit: 100, expand: ['data.default_price'] });
    const withDefault = products.data.find((p) => p.default_price !== null)!;
    expect((withDefault.default_price as Stripe.Price).object).toBe('price');
  });
});
