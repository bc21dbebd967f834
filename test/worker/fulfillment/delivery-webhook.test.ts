/**
 * The producer on the webhook hot path: the event's batch reads back the deliveries its outbox
 * messages fanned out to, and the Worker hands them to the Queue after the commit, still in one
 * Neon round trip per event. The outbox rows come from an app trigger on paywire.products here
 * (one message per projected product, carrying the event id as the fulfillment triggers do), so
 * the path is tested whatever topics those triggers produce.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { neonControl } from '../support/neon';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { sqlFor, type TestEnv } from '../support/worker';
import { consume, deliveryEnv, type RecordingQueue, sink, sinkEndpoint } from './delivery-support';

async function productMessages(env: TestEnv) {
  const sql = sqlFor(env);
  await sql.query(`create function public.product_message() returns trigger language plpgsql as $$
    begin
      insert into paywire.outbox (environment, topic, aggregate_type, aggregate_id, stripe_event_id, payload, dedupe_key)
      values (new.environment, 'alert.raised', 'product', new.stripe_product_id, new.source_event_id,
              jsonb_build_object('product', new.stripe_product_id), 'product:' || new.source_event_id)
      on conflict do nothing;
      return null;
    end $$`);
  await sql.query(`create trigger product_message after insert or update on paywire.products
    for each row execute function public.product_message()`);
}

let created = 1_790_000_000;
const productEvent = (id: string) => {
  created += 10;
  return event('product.created', objects.product({ id, updated: created }), { created });
};

async function deliver(env: TestEnv, id: string) {
  const neon = neonControl(env);
  const before = await neon.requests();
  let deferred = 0;
  const e = productEvent(id);
  const res = await postEvent(env, e, { onWaitUntil: () => void deferred++ });
  return { res, requests: (await neon.requests()) - before, deferred, eventId: e.id, event: e };
}

describe('webhook → Queue', () => {
  let env: TestEnv;
  let queue: RecordingQueue;
  beforeAll(async () => {
    ({ env, queue } = deliveryEnv());
    env = withWebhookSecrets(env);
    await productMessages(env);
    await postEvent(env, productEvent('prod_warm')); // warms the signing-secret cache
  });

  it('no endpoint: one round trip, nothing enqueued, nothing deferred', async () => {
    const sent = queue.sent.length;
    const d = await deliver(env, 'prod_none');
    expect(d.res.status).toBe(200);
    expect(d).toMatchObject({ requests: 1, deferred: 0 });
    expect(queue.sent.length).toBe(sent);
  });

  it("an endpoint: still one round trip; the event's deliveries are sent after the commit and delivered", async () => {
    const hook = await sinkEndpoint(env, ['alert.raised']);
    await sinkEndpoint(env, ['payment.succeeded']); // another topic: no delivery
    const before = queue.sent.length;
    const d = await deliver(env, 'prod_hooked');
    expect(d.res.status).toBe(200);
    expect((d.res.json as { status: string }).status).toBe('processed');
    expect(d).toMatchObject({ requests: 1, deferred: 1 });
    const sent = queue.sent.slice(before);
    const rows = (await sqlFor(env).query(
      `select d.id, d.enqueued_at is not null as enqueued from paywire.hook_deliveries d
         join paywire.outbox o on o.id = d.outbox_id where o.stripe_event_id = $1`,
      [d.eventId],
    )) as Array<{ id: string; enqueued: boolean }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.enqueued).toBe(true);
    expect(sent).toEqual([{ environment: 'test', deliveryId: Number(rows[0]!.id) }]);

    const round = await consume(env, sent);
    expect(round.byDelivery.get(sent[0]!.deliveryId)).toEqual({ acked: true });
    const [got] = await sink.deliveries(hook.name);
    expect(got).toMatchObject({ verified: true, answered: 204 });
    expect(got!.envelope).toMatchObject({ type: 'alert.raised', data: { product: 'prod_hooked' } });
    expect(JSON.parse(got!.body).stripe_event_id).toBe(d.eventId);

    // A duplicate delivery of the same event enqueues nothing again.
    const again = queue.sent.length;
    const dup = await postEvent(env, d.event);
    expect((dup.json as { status: string }).status).toBe('duplicate');
    expect(queue.sent.length).toBe(again);
  });

  it('without the Queue binding (pull-only): one round trip, deliveries stay pending and unmarked', async () => {
    const pullOnly: TestEnv = { ...env, OUTBOX_QUEUE: undefined };
    const d = await deliver(pullOnly, 'prod_pull');
    expect(d.res.status).toBe(200);
    expect(d).toMatchObject({ requests: 1, deferred: 0 });
    const rows = (await sqlFor(env).query(
      `select d.status, d.enqueued_at from paywire.hook_deliveries d
         join paywire.outbox o on o.id = d.outbox_id where o.stripe_event_id = $1`,
      [d.eventId],
    )) as Array<{ status: string; enqueued_at: string | null }>;
    expect(rows).toEqual([{ status: 'pending', enqueued_at: null }]);
  });
});
