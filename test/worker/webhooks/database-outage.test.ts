/**
 * The database goes away mid-stream: deliveries answer 5xx and nothing is half-written; when
 * it is back, the redelivery (as Stripe retries) completes the projection.
 */
import { describe, expect, it } from 'vitest';
import { event, objects, withItems } from '../../shared/stripe-events';
import { expectErrorShape } from '../support/security';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { databaseName, isolatedEnv, rowCounts, sqlFor } from '../support/worker';

const env = withWebhookSecrets(isolatedEnv());
const sql = sqlFor(env);
const control = new URL(env.NEON_FETCH_ENDPOINT).origin;

async function outage(on: boolean) {
  const res = await fetch(`${control}/_neon/outage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ on, database: databaseName(env) }),
  });
  expect(res.ok).toBe(true);
}

describe('database outage', () => {
  it('answers 503 without writing, and the retried delivery lands once the database is back', async () => {
    const T = 1_790_000_000;
    const first = event('product.created', objects.product({ name: 'Before', updated: T }), { created: T });
    expect((await postEvent(env, first)).status).toBe(200);
    const before = await rowCounts(env);

    const sub = withItems(objects.subscription({ customer: 'cus_outage', status: 'active' }), [
      objects.subscriptionItem(),
      objects.subscriptionItem(),
    ]);
    const during = event('customer.subscription.created', sub, { created: T + 1 });
    await outage(true);
    let res: Awaited<ReturnType<typeof postEvent>>;
    try {
      res = await postEvent(env, during);
    } finally {
      await outage(false);
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
