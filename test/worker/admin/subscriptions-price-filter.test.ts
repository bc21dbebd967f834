/**
 * GET /admin/v1/:env/subscriptions?price= finds a subscription by ANY of its live items, not only
 * by the first item's price (the denormalized subscriptions.stripe_price_id).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, sqlFor } from '../support/worker';
import { adminEnv } from './support';

const env = adminEnv();

const ids = (json: { data: Array<{ id: string }> }) => json.data.map((r) => r.id);

async function byPrice(environment: 'test' | 'live', price: string): Promise<string[]> {
  const res = await call(env, 'GET', `/admin/v1/${environment}/subscriptions?price=${price}`, {
    admin: true,
  });
  expect(res.status, res.text).toBe(200);
  return ids(res.json);
}

beforeAll(async () => {
  const sql = sqlFor(env);
  await sql.transaction([
    // sub_two: two live items (base plan first, add-on second) and one removed item.
    // sub_one: a single item. sub_live: the add-on price, but in the other environment.
    sql`insert into paywire.subscriptions (environment, stripe_subscription_id, stripe_customer_id, status, stripe_price_id, raw, created_at)
        values ('test', 'sub_two', 'cus_1', 'active', 'price_base', '{}', now() - interval '2 minutes'),
               ('test', 'sub_one', 'cus_2', 'active', 'price_base', '{}', now() - interval '1 minute'),
               ('live', 'sub_live', 'cus_3', 'active', 'price_addon', '{}', now())`,
    sql`insert into paywire.subscription_items (environment, stripe_subscription_item_id, stripe_subscription_id, stripe_price_id, quantity, raw, deleted_at)
        values ('test', 'si_two_base', 'sub_two', 'price_base', 1, '{}', null),
               ('test', 'si_two_addon', 'sub_two', 'price_addon', 3, '{}', null),
               ('test', 'si_two_removed', 'sub_two', 'price_removed', 1, '{}', now()),
               ('test', 'si_one_base', 'sub_one', 'price_base', 1, '{}', null),
               ('live', 'si_live_addon', 'sub_live', 'price_addon', 1, '{}', null)`,
  ]);
});

describe('subscriptions?price=', () => {
  it("finds a subscription by its second item's price, with both items in the answer", async () => {
    const res = await call(env, 'GET', '/admin/v1/test/subscriptions?price=price_addon', { admin: true });
    expect(res.status, res.text).toBe(200);
    expect(ids(res.json)).toEqual(['sub_two']);
    const items = (res.json as { data: Array<{ items: Array<{ id: string; priceId: string }> }> }).data[0]!
      .items;
    expect(items.map((i) => [i.id, i.priceId]).sort()).toEqual([
      ['si_two_addon', 'price_addon'],
      ['si_two_base', 'price_base'],
    ]);
  });

  it('still finds subscriptions by the first item, newest first, each once', async () => {
    expect(await byPrice('test', 'price_base')).toEqual(['sub_one', 'sub_two']);
  });

  it('ignores removed items, other environments and unknown prices', async () => {
    expect(await byPrice('test', 'price_removed')).toEqual([]);
    expect(await byPrice('live', 'price_addon')).toEqual(['sub_live']);
    expect(await byPrice('live', 'price_base')).toEqual([]);
    expect(await byPrice('test', 'price_nowhere')).toEqual([]);
  });
});
