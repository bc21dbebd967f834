/**
 * The database fails under a delivery, at the two points that matter (docs/local-neon.md):
 * - unreachable before anything runs: 503, nothing written, Stripe's retry lands;
 * - the batch COMMITS and its response is lost: 503 all the same (the Worker cannot know), and
 *   Stripe's retry must come out `duplicate` with the projection applied exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { event, objects, withItems } from '../../shared/stripe-events';
import { countRowChanges, neonControl } from '../support/neon';
import { expectErrorShape } from '../support/security';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { isolatedEnv, rowCounts, sqlFor } from '../support/worker';

const T = 1_790_000_000;

describe('database unreachable before the batch runs', () => {
  const env = withWebhookSecrets(isolatedEnv());
  const sql = sqlFor(env);
  const neon = neonControl(env);

  it('answers 503 without writing, and the retried delivery lands once the database is back', async () => {
    const first = event('product.created', objects.product({ name: 'Before', updated: T }), { created: T });
    expect((await postEvent(env, first)).status).toBe(200);
    const before = await rowCounts(env);

    const sub = withItems(objects.subscription({ customer: 'cus_outage', status: 'active' }), [
      objects.subscriptionItem(),
      objects.subscriptionItem(),
    ]);
    const during = event('customer.subscription.created', sub, { created: T + 1 });
    await neon.outage(true);
    let res: Awaited<ReturnType<typeof postEvent>>;
    try {
      res = await postEvent(env, during);
    } finally {
      await neon.outage(false);
    }
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'DB_UNAVAILABLE');
    expect(await rowCounts(env)).toEqual(before);

    // Stripe retries the same delivery.
    const retried = await postEvent(env, during);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ status: 'processed' });
    const [row] =
      await sql`select status from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(row!.status).toBe('active');
    const items =
      await sql`select count(*)::int as n from paywire.subscription_items where stripe_subscription_id = ${sub.id}`;
    expect(items[0]!.n).toBe(2);
  });
});

describe('the batch commits, then its response is lost', () => {
  const env = withWebhookSecrets(isolatedEnv());
  const sql = sqlFor(env);
  const neon = neonControl(env);
  let productChanges: (id: string) => Promise<string[]>;

  beforeAll(async () => {
    productChanges = await countRowChanges(env, 'products', 'stripe_product_id');
    // warm the signing-secret cache so the armed fault meets the event's batch, not a secrets read
    const warm = event('product.created', objects.product({ updated: T }), { created: T });
    expect((await postEvent(env, warm)).status).toBe(200);
  });

  it('answers 503; the redelivery is a duplicate and the projection changed exactly once', async () => {
    const product = objects.product({ name: 'Committed', updated: T + 5 });
    const e = event('product.created', product, { created: T + 5 });

    const fault = await neon.loseBatchResponses(1);
    const lost = await postEvent(env, e);
    expect(await neon.lostResponse(fault)).toEqual({ remaining: 0, hits: 1 });
    expect(lost.status).toBe(503);
    expectErrorShape(lost.json, 'DB_UNAVAILABLE');
    // The Worker answered 503, but the write is in: this is what Stripe's retry will meet.
    expect(
      await sql`select processing_status, attempts from paywire.webhook_events where stripe_event_id = ${e.id}`,
    ).toEqual([{ processing_status: 'processed', attempts: 1 }]);
    expect(await productChanges(product.id as string)).toEqual(['INSERT']);

    const retried = await postEvent(env, e);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ eventId: e.id, status: 'duplicate' });
    expect(await productChanges(product.id as string)).toEqual(['INSERT']);
    expect(
      await sql`select processing_status, attempts from paywire.webhook_events where stripe_event_id = ${e.id}`,
    ).toEqual([{ processing_status: 'processed', attempts: 1 }]);
    expect(
      await sql`select name from paywire.products where stripe_product_id = ${product.id as string}`,
    ).toEqual([{ name: 'Committed' }]);
  });

  it('a lost response of a multi-row projection: the retry adds no rows and touches none', async () => {
    const sub = withItems(objects.subscription({ customer: 'cus_lost', status: 'active' }), [
      objects.subscriptionItem(),
      objects.subscriptionItem(),
    ]);
    const e = event('customer.subscription.created', sub, { created: T + 6 });
    const fault = await neon.loseBatchResponses(1);
    expect((await postEvent(env, e)).status).toBe(503);
    expect(await neon.lostResponse(fault)).toEqual({ remaining: 0, hits: 1 });
    const after = await rowCounts(env);
    const stamps = () =>
      sql`select updated_at from paywire.subscription_items where stripe_subscription_id = ${sub.id as string} order by stripe_subscription_item_id`;
    const before = await stamps();
    expect(before).toHaveLength(2);

    const retried = await postEvent(env, e);
    expect(retried.json).toMatchObject({ status: 'duplicate' });
    expect(await rowCounts(env)).toEqual(after);
    expect(await stamps()).toEqual(before);
  });
});
