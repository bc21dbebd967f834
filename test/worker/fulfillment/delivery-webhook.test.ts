/**
 * The producer on the webhook hot path: the event's batch reads back the deliveries its outbox
 * messages fanned out to, and the Worker hands them to the Queue after the commit, still in one
 * Neon round trip per event. The outbox rows come from an app trigger on paywire.products here
 * (one message per projected product, carrying the event id as the fulfillment triggers do), so
 * the path is tested whatever topics those triggers produce.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { emulatorAccount, relay, withEmulatorEndpoint } from '../support/emulator';
import { neonControl } from '../support/neon';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { sqlFor, type TestEnv } from '../support/worker';
import {
  consume,
  deliveryEnv,
  deliveryRows,
  type RecordingQueue,
  sink,
  sinkEndpoint,
} from './delivery-support';

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

describe('webhook → Queue, duplicates', () => {
  it("a duplicate's transaction that wrote messages (an app trigger) enqueues the deliveries its last statement marked", async () => {
    const { env: base, queue } = deliveryEnv();
    const env = withWebhookSecrets(base);
    // An app trigger that writes a message on every event the webhook records, duplicates too
    // (a BEFORE INSERT trigger fires before ON CONFLICT): the duplicate's batch fans it out.
    await sqlFor(env).query(`create function public.event_seen() returns trigger language plpgsql as $$
      begin
        insert into paywire.outbox (environment, topic, aggregate_type, aggregate_id, payload, dedupe_key)
        values (new.environment, 'alert.raised', 'event', new.stripe_event_id, '{}', 'seen:' || txid_current());
        return new;
      end $$`);
    await sqlFor(env).query(`create trigger event_seen before insert on paywire.webhook_events
      for each row execute function public.event_seen()`);
    await postEvent(env, productEvent('prod_dup_warm')); // warms the signing-secret cache
    const hook = await sinkEndpoint(env, ['alert.raised']);
    const e = productEvent('prod_dup');
    expect(((await postEvent(env, e)).json as { status: string }).status).toBe('processed');
    const afterFirst = queue.sent.length;
    expect(afterFirst).toBe(1);
    const dup = await postEvent(env, e);
    expect((dup.json as { status: string }).status).toBe('duplicate');
    const rows = await deliveryRows(env, hook.id);
    expect(rows).toHaveLength(2);
    // Marked enqueued by the duplicate's last statement, and really sent (not left to the cron).
    expect(queue.sent.slice(afterFirst)).toEqual([{ environment: 'test', deliveryId: rows[1]!.id }]);
  });
});

describe('end to end with the fulfillment triggers (migration 0023)', () => {
  it('an emulator subscription checkout: its facts are enqueued by the webhooks and reach the app signed, in order', async () => {
    const { env: base, queue } = deliveryEnv();
    const emulator = await emulatorAccount(base, 'hook delivery e2e');
    const { env } = await withEmulatorEndpoint(base, emulator);
    const hook = await sinkEndpoint(env, ['*']);
    const product = await emulator.stripe.products.create({ name: 'Pro' });
    const price = await emulator.stripe.prices.create({
      product: product.id,
      unit_amount: 1500,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const subject = { paywire_subject_type: 'user', paywire_subject_id: 'hooked_user' };
    const session = await emulator.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
      client_reference_id: 'user:hooked_user',
      metadata: subject,
      subscription_data: { metadata: subject },
    });
    await emulator.control.completeCheckout(session.id);
    const relayed = await relay(env, emulator.control);
    expect(relayed.filter((d) => d.status !== 200)).toEqual([]);

    const rows = await deliveryRows(env, hook.id);
    const topics = (await sqlFor(env).query(
      "select topic from paywire.outbox where subject_id = 'hooked_user' order by id",
    )) as Array<{ topic: string }>;
    expect(topics.map((t) => t.topic).sort()).toEqual([
      'checkout.completed',
      'payment.succeeded',
      'subscription.started',
    ]);
    expect(rows).toHaveLength(3);
    // Every delivery was handed to the Queue by the webhook that produced it, once.
    expect(queue.sent.map((m) => m.deliveryId).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));

    // The Queue delivers them in any order; the app still sees the subject's messages in order.
    let pending = [...queue.sent].reverse();
    for (let i = 0; i < 10 && pending.length > 0; i++) {
      const round = await consume(env, pending);
      pending = pending.filter((m) => !round.byDelivery.get(m.deliveryId)!.acked);
      await sqlFor(env).query(
        "update paywire.hook_deliveries set next_attempt_at = now() where endpoint_id = $1 and status = 'pending'",
        [hook.id],
      );
    }
    expect(pending).toEqual([]);
    const got = await sink.deliveries(hook.name);
    expect(got.every((d) => d.verified === true && d.answered === 204)).toBe(true);
    expect(got.map((d) => d.envelope!.id)).toEqual(rows.map((r) => String(r.outbox_id)));
    expect(got.map((d) => d.envelope!.subject)).toEqual(Array(3).fill({ type: 'user', id: 'hooked_user' }));
  });
});
