/**
 * Rows written from API reads (src/services/projection/from-api.ts) under the webhook recency
 * rule: multi-row upserts in one statement, no write when nothing projected differs, a newer
 * event is never rolled back by an older read, an older event never overwrites a read, and a
 * wrong tombstone is revived only by a read at least a second younger than it.
 */
import { describe, expect, it } from 'vitest';
import { statementsFromApi } from '../../../src/services/projection/from-api';
import type { Statement } from '../../../src/services/projection/types';
import { event, objects, withItems } from '../../shared/stripe-events';
import { neonControl } from '../support/neon';
import { serviceContextFor } from '../support/service-context';
import { deliverAll, withWebhookSecrets } from '../support/webhooks';
import { isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

const T = 1_790_000_000;
const at = (seconds: number, ms = 0) => new Date(seconds * 1000 + ms);

async function write(
  env: TestEnv,
  kind: Parameters<typeof statementsFromApi>[2],
  list: object[],
  readAt: Date,
) {
  const ctx = serviceContextFor(env);
  const statements = statementsFromApi(ctx, 'test', kind, list as never, readAt);
  const results = await ctx.db.batch(statements as [Statement, ...Statement[]]);
  return results[0] as Array<{ stripeId: string; inserted: boolean }>;
}

async function productRow(env: TestEnv, id: string) {
  const [row] = (await sqlFor(env).query(
    'select name, active, source_ts, source_event_id, deleted_at from paywire.products where stripe_product_id = $1',
    [id],
  )) as Array<{
    name: string;
    active: boolean;
    source_ts: string;
    source_event_id: string;
    deleted_at: Date | null;
  }>;
  return row;
}

describe('statementsFromApi', () => {
  const env = withWebhookSecrets(isolatedEnv());

  it('writes 300 products in one round trip, then rewrites nothing when nothing differs', async () => {
    const list = Array.from({ length: 300 }, (_, i) => objects.product({ name: `P${i}`, updated: T }));
    const neon = neonControl(env);
    const before = await neon.requests();
    const first = await write(env, 'products', list, at(T + 10));
    expect(await neon.requests()).toBe(before + 1);
    expect(first).toHaveLength(300);
    expect(first.every((r) => r.inserted)).toBe(true);
    // A later read of the same state: the raw object differs (a new field), no projected column does.
    const again = await write(
      env,
      'products',
      list.map((p) => ({ ...p, livemode: false, marketing_features: [{ name: 'x' }] })),
      at(T + 20),
    );
    expect(again).toEqual([]);
    expect((await productRow(env, list[0]!.id as string))?.source_ts).toBe(String(T + 10));
    // One changed: exactly that row is written, as an update.
    const changed = await write(env, 'products', [{ ...list[7]!, name: 'Renamed' }, list[8]!], at(T + 30));
    expect(changed).toEqual([{ stripeId: list[7]!.id, inserted: false }]);
    expect((await productRow(env, list[7]!.id as string))?.name).toBe('Renamed');
  });

  it('never rolls back a newer event, and an older event never overwrites the read', async () => {
    const product = objects.product({ name: 'Read', updated: T });
    // A webhook of a later second (the object changed after the read was sent) landed first.
    await deliverAll(env, [
      event('product.updated', { ...product, name: 'Newer', updated: T + 50 }, { created: T + 50 }),
    ]);
    expect(await write(env, 'products', [product], at(T + 40))).toEqual([]);
    expect((await productRow(env, product.id as string))?.name).toBe('Newer');

    const other = objects.product({ name: 'Synced', updated: T + 5 });
    await write(env, 'products', [other], at(T + 60));
    // An event of a second before the read, delivered late, is older than what the read saw.
    await deliverAll(env, [
      event('product.updated', { ...other, name: 'Stale', updated: T + 5 }, { created: T + 59 }),
    ]);
    expect((await productRow(env, other.id as string))?.name).toBe('Synced');
    // Same second as the read, same version: the event wins the tie (it cannot be ordered).
    await deliverAll(env, [
      event('product.updated', { ...other, name: 'Tie', updated: T + 5 }, { created: T + 60 }),
    ]);
    expect((await productRow(env, other.id as string))?.name).toBe('Tie');
  });

  it('orders two reads of the same second by their milliseconds', async () => {
    const price = objects.price({ active: true, nickname: 'first' });
    await write(env, 'prices', [price], at(T + 100, 100));
    await write(env, 'prices', [{ ...price, active: false }], at(T + 100, 900));
    expect(await write(env, 'prices', [{ ...price, nickname: 'older read' }], at(T + 100, 500))).toEqual([]);
    const [row] = (await sqlFor(env).query(
      'select active, nickname from paywire.prices where stripe_price_id = $1',
      [price.id],
    )) as Array<{ active: boolean; nickname: string }>;
    expect(row).toEqual({ active: false, nickname: 'first' });
  });

  it('revives a row tombstoned before the read, never one tombstoned in the same second', async () => {
    const a = objects.product({ updated: T });
    const b = objects.product({ updated: T });
    await write(env, 'products', [a, b], at(T + 200));
    await deliverAll(env, [
      event('product.deleted', a, { created: T + 201 }),
      event('product.deleted', b, { created: T + 205 }),
    ]);
    await write(env, 'products', [a, b], at(T + 205, 300));
    expect((await productRow(env, a.id as string))?.deleted_at).toBeNull();
    expect((await productRow(env, b.id as string))?.deleted_at).not.toBeNull();
  });

  it('writes subscriptions with their items, tombstones removed items, maps subjects', async () => {
    const customer = objects.customer({
      metadata: { paywire_subject_type: 'user', paywire_subject_id: 'u_from_api' },
    });
    const price = objects.price();
    const items = [objects.subscriptionItem({ price }), objects.subscriptionItem({ price })];
    const sub = withItems(
      objects.subscription({
        customer: customer.id,
        status: 'active',
        metadata: { paywire_subject_type: 'user', paywire_subject_id: 'u_from_api' },
      }),
      items,
    );
    await write(env, 'customers', [customer], at(T + 300));
    const written = await write(env, 'subscriptions', [sub], at(T + 300));
    expect(written).toEqual([{ stripeId: sub.id, inserted: true }]);
    await write(env, 'subscriptions', [withItems({ ...sub, status: 'past_due' }, [items[0]!])], at(T + 310));
    const sql = sqlFor(env);
    const rows = (await sql.query(
      `select s.status, i.stripe_subscription_item_id as item, i.deleted_at is not null as gone
         from paywire.subscriptions s join paywire.subscription_items i using (stripe_subscription_id)
        where s.stripe_subscription_id = $1 order by item`,
      [sub.id],
    )) as Array<{ status: string; item: string; gone: boolean }>;
    expect(rows).toEqual(
      [
        { status: 'past_due', item: items[0]!.id, gone: false },
        { status: 'past_due', item: items[1]!.id, gone: true },
      ].sort((x, y) => (String(x.item) < String(y.item) ? -1 : 1)),
    );
    const mappings = await sql.query(
      'select subject_id, source from paywire.customer_mappings where stripe_customer_id = $1',
      [customer.id],
    );
    expect(mappings).toEqual([{ subject_id: 'u_from_api', source: 'metadata' }]);
  });

  it('tombstones objects the API reports deleted', async () => {
    const p = objects.product({ updated: T });
    await write(env, 'products', [p], at(T + 400));
    const result = await write(
      env,
      'products',
      [{ id: p.id, object: 'product', deleted: true }],
      at(T + 401),
    );
    expect(result).toEqual([]);
    const row = await productRow(env, p.id as string);
    expect(row?.active).toBe(false);
    expect(row?.deleted_at).not.toBeNull();
  });
});
