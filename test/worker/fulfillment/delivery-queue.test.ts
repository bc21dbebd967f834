/**
 * The Queue consumer (src/services/hooks/deliver.ts) against the hook sink: per-subject order
 * through shuffled batches and failures, retries with recorded backoff, dead deliveries and
 * their retry, signatures the SDK helper accepts. Outbox rows are written with SQL; the
 * consumer is driven directly with the test's bindings (delivery-support.ts).
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../../src/index';
import { verifyPaywireSignature } from '../../../src/sdk/verify-signature';
import { MAX_DELIVERY_ATTEMPTS } from '../../../src/services/hooks/deliver';
import { call, sqlFor } from '../support/worker';
import {
  bodiesFor,
  consume,
  deliveryEnv,
  deliveryRows,
  insertMessages,
  makeDue,
  sink,
  sinkEndpoint,
} from './delivery-support';

describe('fan-out', () => {
  it('one pending delivery per enabled endpoint subscribed to the topic (or *), with the ordering key', async () => {
    const { env } = deliveryEnv();
    const all = await sinkEndpoint(env, ['*']);
    const payments = await sinkEndpoint(env, ['payment.succeeded']);
    const disabled = await sinkEndpoint(env, ['*']);
    expect(
      (
        await call(env, 'PATCH', `/admin/v1/test/hooks/${disabled.id}`, {
          admin: true,
          body: { enabled: false },
        })
      ).status,
    ).toBe(200);
    const live = await sinkEndpoint(env, ['*'], 'live');
    const [paid, started, bare] = await insertMessages(env, [
      { topic: 'payment.succeeded', subject: ['user', 'u1'] },
      { topic: 'subscription.started', subject: null, aggregate: ['subscription', 'sub_1'] },
      { topic: 'alert.raised', subject: null, aggregate: ['alert', 'a1'] },
    ]);
    const keys = async (id: string) =>
      (await sqlFor(env).query(
        'select outbox_id, ordering_key, status from paywire.hook_deliveries where endpoint_id = $1 order by outbox_id',
        [id],
      )) as Array<{ outbox_id: string; ordering_key: string; status: string }>;
    expect(await keys(all.id)).toEqual([
      { outbox_id: String(paid), ordering_key: 'user:u1', status: 'pending' },
      { outbox_id: String(started), ordering_key: 'subscription:sub_1', status: 'pending' },
      { outbox_id: String(bare), ordering_key: 'alert:a1', status: 'pending' },
    ]);
    expect((await keys(payments.id)).map((r) => r.outbox_id)).toEqual([String(paid)]);
    expect(await keys(disabled.id)).toEqual([]);
    expect(await keys(live.id)).toEqual([]);
  });
});

describe('per-subject order', () => {
  it('a shuffled batch whose first message fails still reaches the app in outbox order', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const outboxIds = await insertMessages(
      env,
      ['checkout.completed', 'payment.succeeded', 'subscription.started', 'subscription.changed'].map(
        (topic) => ({
          topic,
          subject: ['user', 'ordered'] as [string, string],
        }),
      ),
    );
    const other = await insertMessages(env, [
      { topic: 'payment.succeeded', subject: ['user', 'someone-else'] },
    ]);
    const rows = await deliveryRows(env, hook.id);
    const subjectDeliveries = rows.filter((r) => outboxIds.includes(r.outbox_id)).map((r) => r.id);
    const otherDelivery = rows.find((r) => r.outbox_id === other[0])!.id;
    // The first two requests fail: the only two of the round (one per subject), in either order.
    await sink.configure(hook.name, { failNext: 2 });

    // Reversed, the other subject in the middle: only the first of the subject may be attempted.
    const shuffled = [...subjectDeliveries].reverse();
    shuffled.splice(2, 0, otherDelivery);
    let round = await consume(env, bodiesFor(shuffled));
    const first = subjectDeliveries[0]!;
    expect(round.byDelivery.get(first)).toEqual({ acked: false, retryDelay: 30 });
    for (const later of subjectDeliveries.slice(1)) {
      expect(round.byDelivery.get(later)?.acked).toBe(false);
      expect(round.byDelivery.get(later)?.retryDelay).toBeGreaterThanOrEqual(5);
    }
    // Another subject is not held up: it was attempted (and failed) in the same round.
    expect(round.byDelivery.get(otherDelivery)).toEqual({ acked: false, retryDelay: 30 });
    let state = await deliveryRows(env, hook.id);
    expect(state.find((r) => r.id === otherDelivery)).toMatchObject({ attempts: 1 });
    expect(state.find((r) => r.id === first)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 500,
    });
    // Waiting behind an earlier message is not an attempt.
    for (const later of subjectDeliveries.slice(1))
      expect(state.find((r) => r.id === later)).toMatchObject({ status: 'pending', attempts: 0 });

    // Redeliver the retried messages (shuffled again) until the Queue holds nothing.
    let pending = subjectDeliveries.slice(1).concat(first, otherDelivery);
    for (let i = 0; i < 10 && pending.length > 0; i++) {
      await makeDue(env, hook.id);
      round = await consume(env, bodiesFor(pending));
      pending = pending.filter((id) => !round.byDelivery.get(id)!.acked).sort((a, b) => b - a);
    }
    expect(pending).toEqual([]);
    state = await deliveryRows(env, hook.id);
    expect(state.every((r) => r.status === 'delivered')).toBe(true);
    const accepted = await sink.accepted(hook.name);
    expect(accepted.filter((id) => outboxIds.map(String).includes(id))).toEqual(outboxIds.map(String));
  });
});

describe('retries', () => {
  it('failing 3 times then succeeding: delivered once as acknowledged, attempts and backoff recorded', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['payment.succeeded']);
    const [outboxId] = await insertMessages(env, [{ topic: 'payment.succeeded', subject: ['user', 'u3'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: 3, failStatus: 503 });
    const verdicts: Array<{ acked: boolean; retryDelay?: number }> = [];
    const backoffs: Array<number | null> = [];
    for (let i = 0; i < 4; i++) {
      await makeDue(env, hook.id);
      const round = await consume(env, bodiesFor([delivery!.id]));
      verdicts.push(round.byDelivery.get(delivery!.id)!);
      backoffs.push((await deliveryRows(env, hook.id))[0]!.backoff);
    }
    expect(verdicts).toEqual([
      { acked: false, retryDelay: 30 },
      { acked: false, retryDelay: 60 },
      { acked: false, retryDelay: 120 },
      { acked: true },
    ]);
    expect(backoffs.slice(0, 3)).toEqual([30, 60, 120]);
    const [row] = await deliveryRows(env, hook.id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status: 204, last_error: null });
    const seen = await sink.deliveries(hook.name);
    expect(seen.map((d) => d.answered)).toEqual([503, 503, 503, 204]);
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    // A redelivered message of a delivered row is acked without a request.
    const again = await consume(env, bodiesFor([delivery!.id]));
    expect(again.byDelivery.get(delivery!.id)).toEqual({ acked: true });
    expect(await sink.deliveries(hook.name)).toHaveLength(4);
  });

  it(`after ${MAX_DELIVERY_ATTEMPTS} failures: dead, listed by the admin API, retried, then delivered`, async () => {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [
      { topic: 'invoice.payment_failed', subject: ['team', 't1'] },
    ]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: 1000, failStatus: 500 });
    const verdicts = [];
    for (let i = 0; i < MAX_DELIVERY_ATTEMPTS; i++) {
      await makeDue(env, hook.id);
      verdicts.push((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id));
    }
    expect(verdicts.slice(0, -1).every((v) => v?.acked === false)).toBe(true);
    expect(verdicts.at(-1)).toEqual({ acked: true });
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'dead',
      attempts: MAX_DELIVERY_ATTEMPTS,
      last_status: 500,
      last_error: 'HTTP 500',
    });
    // Dead is final for the consumer: a stray message changes nothing.
    expect((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)).toEqual({
      acked: true,
    });

    const dead = await call(env, 'GET', `/admin/v1/test/hooks/deliveries?status=dead&endpoint=${hook.id}`, {
      admin: true,
    });
    expect(dead.status).toBe(200);
    expect(dead.json.data).toHaveLength(1);
    expect(dead.json.data[0]).toMatchObject({
      id: String(delivery!.id),
      outboxId: String(outboxId),
      status: 'dead',
      attempts: MAX_DELIVERY_ATTEMPTS,
      lastError: 'HTTP 500',
    });
    const pendingList = await call(env, 'GET', '/admin/v1/test/hooks/deliveries?status=pending', {
      admin: true,
    });
    expect(pendingList.json.data).toEqual([]);

    await sink.configure(hook.name, { failNext: 0 });
    const retried = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/${delivery!.id}/retry`, {
      admin: true,
    });
    expect(retried.status).toBe(200);
    expect(retried.json).toEqual({ retried: 1, enqueued: 1, remaining: 0 });
    expect(queue.sent).toEqual([{ environment: 'test', deliveryId: delivery!.id }]);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await consume(env, queue.sent)).byDelivery.get(delivery!.id)).toEqual({ acked: true });
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    const again = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/${delivery!.id}/retry`, {
      admin: true,
    });
    expect(again.status).toBe(409);
    const audit = (await sqlFor(env).query(
      "select action from paywire.audit_log where action like 'hook.%' order by id",
    )) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(['hook.create', 'hook.delivery.retry']);
  });

  it('retry-dead revives every dead delivery of the environment and enqueues them', async () => {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [
      { subject: ['user', 'a'] },
      { subject: ['user', 'b'] },
      { subject: ['user', 'c'] },
    ]);
    const rows = await deliveryRows(env, hook.id);
    await sqlFor(env).query(
      "update paywire.hook_deliveries set status = 'dead', attempts = 8 where endpoint_id = $1 and outbox_id <> $2",
      [hook.id, rows[2]!.outbox_id],
    );
    const res = await call(env, 'POST', '/admin/v1/test/hooks/deliveries/retry-dead', { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ retried: 2, enqueued: 2, remaining: 0 });
    expect(queue.sent.map((m) => m.deliveryId).sort()).toEqual([rows[0]!.id, rows[1]!.id].sort());
    const nothing = await call(env, 'POST', '/admin/v1/test/hooks/deliveries/retry-dead', { admin: true });
    expect(nothing.json).toEqual({ retried: 0, enqueued: 0, remaining: 0 });
  });
});

describe('disabled endpoints', () => {
  it('a message for a disabled endpoint is acked unsent and handed over again by the cron once re-enabled', async () => {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'paused'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    const patch = (enabled: boolean) =>
      call(env, 'PATCH', `/admin/v1/test/hooks/${hook.id}`, { admin: true, body: { enabled } });
    expect((await patch(false)).status).toBe(200);
    expect((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)).toEqual({
      acked: true,
    });
    expect(await sink.deliveries(hook.name)).toEqual([]);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'pending', attempts: 0 });

    const tick = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: '*/10 * * * *' }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await tick();
    expect(queue.sent).toEqual([]); // still disabled
    expect((await patch(true)).status).toBe(200);
    await tick();
    expect(queue.sent).toEqual([{ environment: 'test', deliveryId: delivery!.id }]);
    await consume(env, queue.sent);
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
  });
});

describe('what the app receives', () => {
  it('the envelope, signed as the SDK helper verifies; a tampered body, timestamp or secret is rejected', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [
      {
        topic: 'subscription.started',
        subject: ['user', 'u9'],
        stripeEventId: 'evt_sig',
        payload: { subscription: 'sub_9', status: 'active' },
      },
    ]);
    const [delivery] = await deliveryRows(env, hook.id);
    await consume(env, bodiesFor([delivery!.id]));
    const [got] = await sink.deliveries(hook.name);
    expect(got).toMatchObject({ verified: true, answered: 204, deliveryId: String(delivery!.id) });
    const envelope = JSON.parse(got!.body);
    expect(envelope).toMatchObject({
      id: String(outboxId),
      type: 'subscription.started',
      environment: 'test',
      subject: { type: 'user', id: 'u9' },
      stripe_event_id: 'evt_sig',
      data: { subscription: 'sub_9', status: 'active' },
    });
    expect(typeof envelope.created).toBe('number');
    expect(got!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const ok = await verifyPaywireSignature({
      payload: got!.body,
      header: got!.signature,
      secret: hook.secret,
    });
    expect(ok.error).toBeUndefined();
    expect(ok.data?.id).toBe(String(outboxId));
    const tamperedBody = await verifyPaywireSignature({
      payload: got!.body.replace('sub_9', 'sub_8'),
      header: got!.signature,
      secret: hook.secret,
    });
    expect(tamperedBody.error?.code).toBe('SIGNATURE_MISMATCH');
    const t = Number(/t=(\d+)/.exec(got!.signature!)![1]);
    const tamperedTime = await verifyPaywireSignature({
      payload: got!.body,
      header: got!.signature!.replace(`t=${t}`, `t=${t + 1}`),
      secret: hook.secret,
    });
    expect(tamperedTime.error?.code).toBe('SIGNATURE_MISMATCH');
    const wrongSecret = await verifyPaywireSignature({
      payload: got!.body,
      header: got!.signature,
      secret: `${hook.secret.slice(0, -1)}0`,
    });
    expect(wrongSecret.error?.code).toBe(hook.secret.endsWith('0') ? undefined : 'SIGNATURE_MISMATCH');
  });

  it('an unreachable endpoint is a failed attempt with no secret or body in last_error', async () => {
    const { env } = deliveryEnv();
    const created = await call(env, 'POST', '/admin/v1/test/hooks', {
      admin: true,
      body: { url: 'http://127.0.0.1:9/hooks/closed?token=s3cr3t', events: ['*'] },
    });
    expect(created.status).toBe(201);
    await insertMessages(env, [{ payload: { card: 'secret-ish' } }]);
    const [delivery] = await deliveryRows(env, created.json.id);
    const round = await consume(env, bodiesFor([delivery!.id]));
    expect(round.byDelivery.get(delivery!.id)).toEqual({ acked: false, retryDelay: 30 });
    const [row] = await deliveryRows(env, created.json.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(row!.last_error).not.toMatch(/s3cr3t|secret-ish|whsec_/);
  });
});
