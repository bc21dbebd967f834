import fc from 'fast-check';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { raw, startEmulator } from './helpers';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client();
});
afterAll(() => emu.close());

async function stripeError(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Stripe.errors.StripeError);
  return err as Stripe.errors.StripeError;
}

describe('products', () => {
  it('creates, retrieves, updates, archives and lists products with Stripe shapes', async () => {
    const product = await stripe.products.create({
      name: 'Pro',
      description: 'Pro plan',
      metadata: { plan: 'pro', ip_limit: '3' },
      default_price_data: { currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } },
    });
    expect(product).toMatchObject({
      object: 'product',
      active: true,
      name: 'Pro',
      livemode: false,
      metadata: { plan: 'pro', ip_limit: '3' },
      images: [],
      marketing_features: [],
      package_dimensions: null,
      url: null,
    });
    expect(product.id).toMatch(/^prod_[A-Za-z0-9]{14}$/);
    expect(product.created).toBe(product.updated);
    expect(Number.isInteger(product.created) && product.created < 1e10).toBe(true);
    expect(product.default_price).toMatch(/^price_/);

    const price = await stripe.prices.retrieve(product.default_price as string);
    expect(price).toMatchObject({
      object: 'price',
      product: product.id,
      currency: 'usd',
      unit_amount: 1500,
      type: 'recurring',
      billing_scheme: 'per_unit',
      recurring: {
        interval: 'month',
        interval_count: 1,
        usage_type: 'licensed',
        trial_period_days: null,
        meter: null,
      },
    });

    const updated = await stripe.products.update(product.id, { name: 'Pro 2', metadata: { ip_limit: '' } });
    expect(updated.name).toBe('Pro 2');
    expect(updated.metadata).toEqual({ plan: 'pro' });
    expect(updated.updated).toBeGreaterThanOrEqual(product.updated);

    const archived = await stripe.products.update(product.id, { active: false });
    expect(archived.active).toBe(false);
    const active = await stripe.products.list({ active: true, limit: 100 });
    expect(active.data.map((p) => p.id)).not.toContain(product.id);
    const inactive = await stripe.products.list({ active: false, limit: 100 });
    expect(inactive.data.map((p) => p.id)).toContain(product.id);
    expect(inactive).toMatchObject({ object: 'list', url: '/v1/products', has_more: false });
  });

  it('emits product.updated with previous_attributes including updated', async () => {
    const product = await stripe.products.create({ name: 'Events product' });
    await emu.control().advanceClock(5);
    const renamed = await stripe.products.update(product.id, { name: 'Renamed' });
    // The emulator's clock is real time plus the offset: a real second may tick in between.
    expect(renamed.updated - product.updated).toBeGreaterThanOrEqual(5);
    expect(renamed.updated - product.updated).toBeLessThan(5 + 30);
    const events = await stripe.events.list({ type: 'product.updated', limit: 1 });
    const event = events.data[0]!;
    expect((event.data.object as Stripe.Product).id).toBe(product.id);
    expect(event.data.previous_attributes).toMatchObject({ name: 'Events product' });
    expect(event.data.previous_attributes).toEqual({ name: 'Events product', updated: product.updated });
  });

  it('deletes a product only when it has no prices', async () => {
    const withPrice = await stripe.products.create({
      name: 'Has price',
      default_price_data: { currency: 'usd', unit_amount: 100 },
    });
    const err = await stripeError(stripe.products.del(withPrice.id));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('cannot be deleted');

    const bare = await stripe.products.create({ name: 'No price' });
    const deleted = await stripe.products.del(bare.id);
    expect(deleted).toEqual({ id: bare.id, object: 'product', deleted: true });
    const missing = await stripeError(stripe.products.retrieve(bare.id));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
    expect(missing.message).toBe(`No such product: '${bare.id}'`);
  });
});

describe('prices', () => {
  it('filters by active and product, archives, refuses to archive the default price', async () => {
    const product = await stripe.products.create({ name: 'Filtered' });
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      lookup_key: 'filtered_monthly',
    });
    const once = await stripe.prices.create({ product: product.id, currency: 'EUR', unit_amount: 5000 });
    expect(once).toMatchObject({ type: 'one_time', recurring: null, currency: 'eur' });

    const list = await stripe.prices.list({ product: product.id });
    expect(list.data.map((p) => p.id)).toEqual([once.id, monthly.id]);
    expect(
      (await stripe.prices.list({ product: product.id, type: 'recurring' })).data.map((p) => p.id),
    ).toEqual([monthly.id]);
    expect((await stripe.prices.list({ lookup_keys: ['filtered_monthly'] })).data.map((p) => p.id)).toEqual([
      monthly.id,
    ]);

    await stripe.prices.update(once.id, { active: false });
    expect((await stripe.prices.list({ product: product.id, active: true })).data.map((p) => p.id)).toEqual([
      monthly.id,
    ]);
    expect((await stripe.prices.list({ product: product.id, active: false })).data.map((p) => p.id)).toEqual([
      once.id,
    ]);

    await stripe.products.update(product.id, { default_price: monthly.id });
    const err = await stripeError(stripe.prices.update(monthly.id, { active: false }));
    expect(err.message).toContain('default price');

    const dup = await stripeError(
      stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        lookup_key: 'filtered_monthly',
      }),
    );
    expect(dup.code).toBe('lookup_key_already_exists');
  });

  it('creates a price with product_data (product.created, price.created)', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 250,
      product_data: { name: 'Inline' },
    });
    const product = await stripe.products.retrieve(price.product as string);
    expect(product.name).toBe('Inline');
  });

  it('answers bad requests with Stripe-shaped 400s', async () => {
    const missing = await stripeError(stripe.prices.create({ unit_amount: 100, product: 'prod_x' } as never));
    expect(missing).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'parameter_missing',
      param: 'currency',
    });
    expect(missing.message).toBe('Missing required param: currency.');

    const badInt = await stripeError(
      stripe.prices.create({ currency: 'usd', unit_amount: 'ten' as never, product_data: { name: 'x' } }),
    );
    expect(badInt).toMatchObject({ code: 'parameter_invalid_integer', param: 'unit_amount' });
    expect(badInt.message).toBe('Invalid integer: ten');

    const unknownProduct = await stripeError(
      stripe.prices.create({ currency: 'usd', unit_amount: 1, product: 'prod_nope' }),
    );
    expect(unknownProduct).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'product' });

    const badEnum = await stripeError(
      stripe.prices.create({
        currency: 'usd',
        unit_amount: 1,
        product_data: { name: 'x' },
        recurring: { interval: 'fortnight' as never },
      }),
    );
    expect(badEnum).toMatchObject({ param: 'recurring[interval]' });

    const unknownParam = await stripeError(stripe.products.create({ name: 'x', colour: 'red' } as never));
    expect(unknownParam).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    expect(unknownParam.message).toBe('Received unknown parameter: colour');

    const nested = await stripeError(
      stripe.products.create({ name: 'x', default_price_data: { currency: 'usd', foo: 1 } } as never),
    );
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'default_price_data[foo]' });

    const empty = await stripeError(stripe.products.create({ name: '' }));
    expect(empty).toMatchObject({ code: 'parameter_invalid_empty', param: 'name' });

    const bool = await raw(emu, 'POST', '/v1/products', { body: 'name=x&active=maybe' });
    expect(bool.status).toBe(400);
    expect(bool.json).toEqual({
      error: { type: 'invalid_request_error', message: 'Invalid boolean: maybe', param: 'active' },
    });
  });
});

describe('customers', () => {
  it('creates, updates (metadata unset), lists by email and deletes customers', async () => {
    const customer = await stripe.customers.create({
      email: 'jenny@example.com',
      name: 'Jenny',
      metadata: { user_id: 'u_1', team: 't_1' },
    });
    expect(customer).toMatchObject({
      object: 'customer',
      email: 'jenny@example.com',
      name: 'Jenny',
      balance: 0,
      delinquent: false,
      livemode: false,
      invoice_settings: { default_payment_method: null },
      metadata: { user_id: 'u_1', team: 't_1' },
    });
    expect(customer.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);

    const updated = await stripe.customers.update(customer.id, {
      metadata: { team: '', plan: 'pro' },
      phone: '+15555550100',
    });
    expect(updated.metadata).toEqual({ user_id: 'u_1', plan: 'pro' });
    const event = (await stripe.events.list({ type: 'customer.updated', limit: 1 })).data[0]!;
    expect(event.data.previous_attributes).toEqual({ metadata: { team: 't_1', plan: null }, phone: null });

    const cleared = await stripe.customers.update(customer.id, { metadata: '' as never });
    expect(cleared.metadata).toEqual({});

    const byEmail = await stripe.customers.list({ email: 'jenny@example.com' });
    expect(byEmail.data.map((c) => c.id)).toEqual([customer.id]);

    const deleted = await stripe.customers.del(customer.id);
    expect(deleted).toEqual({ id: customer.id, object: 'customer', deleted: true });
    // Stripe returns a stub for a deleted customer rather than a 404.
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ id: customer.id, deleted: true });
    expect((await stripe.customers.list({ email: 'jenny@example.com' })).data).toEqual([]);
    const deletedEvent = (await stripe.events.list({ type: 'customer.deleted', limit: 1 })).data[0]!;
    expect(deletedEvent.data.object).toMatchObject({
      id: customer.id,
      object: 'customer',
      email: 'jenny@example.com',
    });
  });

  it('round-trips arbitrary metadata through the real client’s form encoding', async () => {
    const key = fc.string({ minLength: 1, maxLength: 40 }).filter((k) => !/[[\]]/.test(k));
    const value = fc.string({ minLength: 1, maxLength: 100 });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 8 }), async (metadata) => {
        const customer = await stripe.customers.create({ metadata });
        expect(customer.metadata).toEqual({ ...metadata });
      }),
      { numRuns: 25 },
    );
  });
});

describe('pagination and expand', () => {
  it('pages through more than 250 objects newest first, forwards and backwards', async () => {
    const own = emu.addAccount({ id: 'acct_pagination' });
    const client = emu.client(own.testSecretKey);
    const created: string[] = [];
    for (let i = 0; i < 260; i++) {
      created.push((await client.customers.create({ metadata: { i: String(i) } })).id);
    }
    const newestFirst = [...created].reverse();

    const first = await client.customers.list({ limit: 100 });
    expect(first.data).toHaveLength(100);
    expect(first.has_more).toBe(true);
    expect(first.data[0]!.id).toBe(newestFirst[0]);

    const all = await client.customers.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(all.map((c) => c.id)).toEqual(newestFirst);

    const last = await client.customers.list({ limit: 100, starting_after: newestFirst[199] });
    expect(last.data.map((c) => c.id)).toEqual(newestFirst.slice(200));
    expect(last.has_more).toBe(false);

    const before = await client.customers.list({ limit: 3, ending_before: newestFirst[10] });
    expect(before.data.map((c) => c.id)).toEqual(newestFirst.slice(7, 10));
    expect(before.has_more).toBe(true);

    // stripe-node walks `ending_before` pages backwards: oldest to newest.
    const backwards = await client.customers
      .list({ limit: 100, ending_before: created[0] })
      .autoPagingToArray({ limit: 1000 });
    expect(backwards.map((c) => c.id)).toEqual(created.slice(1));

    const tooMany = await stripeError(client.customers.list({ limit: 101 }));
    expect(tooMany).toMatchObject({ statusCode: 400, param: 'limit' });
    const badCursor = await stripeError(client.customers.list({ starting_after: 'cus_missing' }));
    expect(badCursor).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
  });

  it('expands ids into objects, in lists too, and rejects unexpandable fields', async () => {
    const product = await stripe.products.create({
      name: 'Expandable',
      default_price_data: { currency: 'usd', unit_amount: 700 },
    });
    const price = await stripe.prices.retrieve(product.default_price as string, { expand: ['product'] });
    expect((price.product as Stripe.Product).name).toBe('Expandable');
    const list = await stripe.prices.list({ product: product.id, expand: ['data.product'] });
    expect((list.data[0]!.product as Stripe.Product).id).toBe(product.id);
    const withDefault = await stripe.products.retrieve(product.id, { expand: ['default_price'] });
    expect((withDefault.default_price as Stripe.Price).unit_amount).toBe(700);

    const err = await stripeError(stripe.products.retrieve(product.id, { expand: ['name'] }));
    expect(err.message).toBe('This property cannot be expanded (name).');
  });
});
