import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControlError, type StripeEmulator } from '../../../dev/stripe/index';
import { startEmulator } from './helpers';

// Seeding makes an account's objects without events; silent changes change or remove them
// without events: what a full sync must find by listing.

let emu: StripeEmulator;
let n = 0;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

async function account() {
  const created = await emu.control().createAccount({ id: `acct_seed${++n}` });
  const key = created.test_secret_key;
  return { key, stripe: emu.client(key), control: emu.control(key) };
}

describe('seeding', () => {
  it('makes the objects asked for, API-shaped, spread over the past, with no event and no delivery', async () => {
    const { stripe, control } = await account();
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/hook',
      enabled_events: ['*'],
    });
    await control.resetCounters();
    const now = (await control.clock()).now;
    const result = await control.seed({
      products: 12,
      prices: 30,
      inactive_prices: 5,
      customers: 7,
      subscriptions: { active: 9, trialing: 2, canceled: 3, past_due: 1 },
      metadata: { batch: 'b1' },
    });
    expect(result).toMatchObject({
      products: 12,
      prices: 30,
      customers: 7,
      subscriptions: 15,
      subscription_items: 15,
      events: 0,
    });

    const products = await stripe.products.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(products).toHaveLength(12);
    expect(products.every((p) => p.metadata.batch === 'b1' && typeof p.default_price === 'string')).toBe(
      true,
    );
    expect(products.every((p) => p.created <= now && p.created > now - 3 * 86_400)).toBe(true);
    const prices = await stripe.prices.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(prices.filter((p) => !p.active)).toHaveLength(5);
    expect(prices.every((p) => p.type === 'recurring' && p.recurring?.interval === 'month')).toBe(true);
    const subs = await stripe.subscriptions.list({ status: 'all', limit: 100 });
    const statuses = subs.data.map((s) => s.status);
    expect(statuses.filter((s) => s === 'active')).toHaveLength(9);
    expect(statuses.filter((s) => s === 'trialing')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'canceled')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'past_due')).toHaveLength(1);
    // Periods run into the future: a request does not renew (invoice, charge) seeded subscriptions.
    expect(subs.data.every((s) => s.items.data[0]!.current_period_end > now)).toBe(true);
    expect((await stripe.invoices.list({ limit: 1 })).data).toEqual([]);

    expect((await stripe.events.list({ limit: 1 })).data).toEqual([]);
    expect((await control.deliveries({ endpoint: endpoint.id })).data).toEqual([]);
    expect((await control.counters()).objects_created).toEqual({});
  });

  it('refuses what cannot be seeded', async () => {
    const { control } = await account();
    await expect(control.seed({ subscriptions: 3 })).rejects.toMatchObject({ status: 400 });
    await expect(control.seed({ prices: 3 })).rejects.toMatchObject({ status: 400 });
    await expect(control.seed({ products: 1, spread_seconds: 40 * 86_400 })).rejects.toMatchObject({
      status: 400,
    });
    await expect(control.seed({ products: -1 })).rejects.toBeInstanceOf(EmulatorControlError);
    await expect(
      control.seed({ subscriptions: { paused: 1 } as never, customers: 1, products: 1 }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('lists every object of a type with the fields asked for', async () => {
    const { control } = await account();
    await control.seed({ products: 3, customers: 2 });
    const listed = await control.objects<{ id: string; name: string }>('product', ['id', 'name']);
    expect(listed.count).toBe(3);
    expect(listed.data.map((p) => Object.keys(p).sort())).toEqual([
      ['id', 'name'],
      ['id', 'name'],
      ['id', 'name'],
    ]);
    await expect(control.objects('nonsense')).rejects.toMatchObject({ status: 400 });
  });
});

describe('silent changes', () => {
  it('change objects without an event: the next read sees the change, hashes merge', async () => {
    const { stripe, control } = await account();
    const product = await stripe.products.create({ name: 'Before', metadata: { a: '1', b: '2' } });
    const sub = await control.seed({ products: 1, customers: 1, subscriptions: 1 }).then(async () => {
      return (await stripe.subscriptions.list({ limit: 1 })).data[0]!;
    });
    const eventsBefore = (await stripe.events.list({ limit: 100 })).data.length;
    await control.advanceClock(5);

    const changed = await control.silentUpdate<Stripe.Product>(product.id, {
      name: 'After',
      metadata: { b: '3' },
    });
    expect(changed).toMatchObject({ name: 'After', metadata: { a: '1', b: '3' } });
    expect(changed.updated).toBeGreaterThan(product.updated);
    await control.silentUpdate(sub.id, {
      status: 'canceled',
      ended_at: sub.created + 10,
      cancel_at_period_end: true,
    });

    const read = await stripe.products.retrieve(product.id);
    expect(read).toMatchObject({ name: 'After', metadata: { a: '1', b: '3' } });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect((await stripe.subscriptions.list({ limit: 10 })).data).toEqual([]);
    expect((await stripe.events.list({ limit: 100 })).data).toHaveLength(eventsBefore);
  });

  it('delete objects without an event: gone from lists; a deleted customer retrieves as deleted', async () => {
    const { stripe, control } = await account();
    await control.seed({ products: 2, customers: 2, subscriptions: 2 });
    const [sub] = (await stripe.subscriptions.list({ limit: 1 })).data;
    const [customer] = (await stripe.customers.list({ limit: 1 })).data;
    const [product] = (await stripe.products.list({ limit: 1 })).data;
    await control.silentDelete(sub!.id);
    const result = await control.silent({ delete: [customer!.id, product!.id] });
    expect(result.deleted).toEqual([customer!.id, product!.id]);

    expect((await stripe.subscriptions.list({ status: 'all' })).data.map((s) => s.id)).not.toContain(sub!.id);
    await expect(stripe.subscriptionItems.retrieve(sub!.items.data[0]!.id)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await stripe.customers.retrieve(customer!.id)).toMatchObject({ id: customer!.id, deleted: true });
    await expect(stripe.products.retrieve(product!.id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.events.list({ limit: 1 })).data).toEqual([]);
  });

  it('a batch is all or nothing; identity fields and events cannot be changed', async () => {
    const { stripe, control } = await account();
    const product = await stripe.products.create({ name: 'Keep' });
    const event = (await stripe.events.list({ limit: 1 })).data[0]!;
    await expect(
      control.silent({ update: [{ id: product.id, set: { name: 'Changed' } }], delete: ['prod_missing'] }),
    ).rejects.toMatchObject({ status: 404 });
    expect((await stripe.products.retrieve(product.id)).name).toBe('Keep');
    await expect(control.silentUpdate(product.id, { id: 'prod_other' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(control.silentDelete(event.id)).rejects.toMatchObject({ status: 400 });
  });
});

describe('writes on a large book', () => {
  it('copy only what they touch, and a refused write still changes nothing (subscription and its items together)', async () => {
    const { stripe, control } = await account();
    await control.seed({ products: 300, customers: 500, subscriptions: 5000 });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await stripe.products.create({ name: `write ${i}` });
    // Copying the 5,000 subscriptions for each write took seconds; products alone, milliseconds.
    expect((Date.now() - started) / 5).toBeLessThan(1000);

    const sub = (await stripe.subscriptions.list({ limit: 1 })).data[0]!;
    const item = sub.items.data[0]!;
    const refused = await stripe.subscriptions
      .update(sub.id, {
        items: [{ id: item.id, quantity: (item.quantity ?? 1) + 5 }],
        metadata: { refused: 'yes' },
        expand: ['nonsense_field'],
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400 });
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.metadata).toEqual(sub.metadata);
    expect(after.items.data[0]!.quantity).toBe(item.quantity);
    expect((await stripe.subscriptionItems.retrieve(item.id)).quantity).toBe(item.quantity);

    // The next write changes the subscription and its item as one object graph again.
    await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, quantity: 9 }],
      proration_behavior: 'none',
    });
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.quantity).toBe(9);
    expect((await stripe.subscriptionItems.retrieve(item.id)).quantity).toBe(9);
  }, 60_000);
});
