/**
 * The consumer's claim (src/services/hooks/deliver.ts): copies of one delivery's Queue message
 * (the cron's safety net, an operator's retry, a lagging Queue) never POST side by side nor
 * skip the backoff; order waits are recorded on the row and back off; failures before the POST
 * count as attempts; the pushed envelope is the pulled one. Retry audit in the same statement.
 * Copies in one batch run concurrently; on PGlite the endpoint serializes their statements,
 * on Postgres (worker-postgres) they really race for the row.
 */
import { describe, expect, it } from 'vitest';
import {
  CLAIM_LEASE_SECONDS,
  MAX_DELIVERY_ATTEMPTS,
  SECRET_UNREADABLE_ERROR,
} from '../../../src/services/hooks/deliver';
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
  tick,
} from './delivery-support';

/** Each message's verdict, in the order of the batch (byDelivery merges copies of one delivery). */
async function verdicts(round: Awaited<ReturnType<typeof consume>>) {
  return round.messages.map((m) => {
    if (round.result.explicitAcks.includes(m.id)) return 'ack';
    return round.result.retryMessages.some((r) => r.msgId === m.id) ? 'retry' : 'none';
  });
}

describe('one copy at a time', () => {
  it('copies of a message in one batch: one POST, one attempt; the others acked or retried, never sent', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'twice'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    const round = await consume(env, bodiesFor([delivery!.id, delivery!.id, delivery!.id, delivery!.id]));
    // A copy that runs while the claimant POSTs is retried; one that runs after it recorded the
    // delivery is acked (on Postgres either may happen).
    const seen = await verdicts(round);
    expect(seen.filter((v) => v === 'ack').length).toBeGreaterThanOrEqual(1);
    expect(seen.every((v) => v === 'ack' || v === 'retry')).toBe(true);
    expect(await sink.deliveries(hook.name)).toHaveLength(1);
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    // A retried copy comes back: delivered, acked without a request.
    const again = await consume(env, bodiesFor([delivery!.id]));
    expect(again.byDelivery.get(delivery!.id)).toEqual({ acked: true });
    expect(await sink.deliveries(hook.name)).toHaveLength(1);
  });

  it('two copies while the app fails: one failed attempt, both retried after the backoff', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [{ subject: ['user', 'failing'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: 10 });
    const round = await consume(env, bodiesFor([delivery!.id, delivery!.id, delivery!.id]));
    expect(await verdicts(round)).toEqual(['retry', 'retry', 'retry']);
    expect(await sink.deliveries(hook.name)).toHaveLength(1);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      backoff: 30,
    });
  });

  it('a copy arriving during the backoff is retried for the time left, unsent and uncounted', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'early'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: 1 });
    expect((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)).toEqual({
      acked: false,
      retryDelay: 30,
    });
    // A second copy (the cron, a lagging Queue) before the 30 s are up.
    const early = (await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)!;
    expect(early.acked).toBe(false);
    expect(early.retryDelay).toBeGreaterThanOrEqual(20);
    expect(early.retryDelay).toBeLessThanOrEqual(30);
    expect(await sink.deliveries(hook.name)).toHaveLength(1);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'pending', attempts: 1 });
    // Once due, it is attempted.
    await makeDue(env, hook.id);
    expect((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)).toEqual({
      acked: true,
    });
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('an operator retry of a pending delivery makes it due; its copy and the old one POST once', async () => {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'operator'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: 1 });
    await consume(env, bodiesFor([delivery!.id]));
    const retried = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/${delivery!.id}/retry`, {
      admin: true,
    });
    expect(retried.json).toEqual({ retried: 1, enqueued: 1, remaining: 0 });
    // The Queue now holds the failed attempt's retry and the operator's copy; both arrive together.
    const round = await consume(env, [...bodiesFor([delivery!.id]), ...queue.sent]);
    const seen = await verdicts(round);
    expect(seen).toContain('ack');
    expect(seen.every((v) => v === 'ack' || v === 'retry')).toBe(true);
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    expect(await sink.deliveries(hook.name)).toHaveLength(2); // the failed one and this one
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('an operator retry while a copy holds the claim does not start a second POST', async () => {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [{ subject: ['user', 'in-flight'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    // A copy claimed it a moment ago and is POSTing (the row as the claim leaves it).
    await sqlFor(env).query(
      `update paywire.hook_deliveries
          set enqueued_at = now(), claimed_until = now() + make_interval(secs => $2) where id = $1`,
      [delivery!.id, CLAIM_LEASE_SECONDS],
    );
    const retried = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/${delivery!.id}/retry`, {
      admin: true,
    });
    expect(retried.json).toEqual({ retried: 1, enqueued: 1, remaining: 0 });
    // The retry makes it due but keeps the claim.
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({ status: 'pending', claimed: true });
    const copy = (await consume(env, queue.sent)).byDelivery.get(delivery!.id)!;
    expect(copy.acked).toBe(false);
    expect(copy.retryDelay).toBeGreaterThan(30);
    expect(copy.retryDelay).toBeLessThanOrEqual(CLAIM_LEASE_SECONDS);
    expect(await sink.deliveries(hook.name)).toEqual([]);
  });

  it('a due delivery whose claim holds is not attempted; once the claim lapses a copy attempts it', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'lapsed'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    // Due long ago (a backoff that ended, an operator retry), but a copy holds it.
    await sqlFor(env).query(
      `update paywire.hook_deliveries
          set next_attempt_at = now() - interval '10 minutes', claimed_until = now() + interval '20 seconds'
        where id = $1`,
      [delivery!.id],
    );
    const held = (await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)!;
    expect(held.acked).toBe(false);
    expect(held.retryDelay).toBeGreaterThan(10);
    expect(held.retryDelay).toBeLessThanOrEqual(20);
    expect(await sink.deliveries(hook.name)).toEqual([]);
    // The claimant died mid-attempt: its claim lapses and the next copy claims it, then settles it.
    await sqlFor(env).query(
      `update paywire.hook_deliveries set claimed_until = now() - interval '1 second' where id = $1`,
      [delivery!.id],
    );
    expect((await consume(env, bodiesFor([delivery!.id]))).byDelivery.get(delivery!.id)).toEqual({
      acked: true,
    });
    expect(await sink.accepted(hook.name)).toEqual([String(outboxId)]);
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      claimed: false,
    });
  });

  it('settling an attempt clears the claim: a failure backs off unclaimed, dead is unclaimed', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [{ subject: ['user', 'settle'] }]);
    const [delivery] = await deliveryRows(env, hook.id);
    await sink.configure(hook.name, { failNext: MAX_DELIVERY_ATTEMPTS });
    await consume(env, bodiesFor([delivery!.id]));
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      backoff: 30,
      claimed: false,
    });
    for (let i = 1; i < MAX_DELIVERY_ATTEMPTS; i++) {
      await makeDue(env, hook.id);
      await consume(env, bodiesFor([delivery!.id]));
    }
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'dead',
      attempts: MAX_DELIVERY_ATTEMPTS,
      claimed: false,
    });
  });
});

describe('order waits', () => {
  async function waitingBehind() {
    const { env, queue } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [firstOutbox, secondOutbox] = await insertMessages(env, [
      { subject: ['user', 'queue-up'] },
      { subject: ['user', 'queue-up'] },
    ]);
    const rows = await deliveryRows(env, hook.id);
    const first = rows.find((r) => r.outbox_id === firstOutbox)!.id;
    const second = rows.find((r) => r.outbox_id === secondOutbox)!.id;
    return { env, queue, hook, first, second };
  }

  it('back off on the message attempts while the earlier message is due', async () => {
    const { env, hook, second } = await waitingBehind();
    const delays = [];
    for (const attempts of [1, 2, 4, 8, 20]) {
      await makeDue(env, hook.id);
      const round = await consume(env, bodiesFor([second]), { attempts });
      delays.push(round.byDelivery.get(second)!.retryDelay);
    }
    expect(delays).toEqual([5, 10, 40, 300, 300]);
    expect((await deliveryRows(env, hook.id)).map((r) => r.attempts)).toEqual([0, 0]);
    // An order wait claims nothing.
    expect((await deliveryRows(env, hook.id)).map((r) => r.claimed)).toEqual([false, false]);
    expect(await sink.deliveries(hook.name)).toEqual([]);
  });

  it('behind an earlier message a copy holds: wait until its claim ends', async () => {
    const { env, hook, first, second } = await waitingBehind();
    await sqlFor(env).query(
      `update paywire.hook_deliveries
          set claimed_until = now() + interval '38 seconds', next_attempt_at = now() - interval '1 minute'
        where id = $1`,
      [first],
    );
    const round = await consume(env, bodiesFor([second]));
    // 38 s left, rounded up to 5 s
    expect(round.byDelivery.get(second)).toEqual({ acked: false, retryDelay: 40 });
    expect((await deliveryRows(env, hook.id)).map((r) => [r.attempts, r.claimed])).toEqual([
      [0, true],
      [0, false],
    ]);
    expect(await sink.deliveries(hook.name)).toEqual([]);
  });

  it('are recorded on the row: the cron does not send more copies of a waiting delivery', async () => {
    const { env, queue, hook, first, second } = await waitingBehind();
    // Both handed to the Queue long ago; the first backs off for an hour.
    await sqlFor(env).query(
      `update paywire.hook_deliveries
          set enqueued_at = now() - interval '10 minutes',
              next_attempt_at = case when id = $1 then now() + interval '1 hour' else now() - interval '10 minutes' end
        where endpoint_id = $2`,
      [first, hook.id],
    );
    const round = await consume(env, bodiesFor([second]));
    expect(round.byDelivery.get(second)).toEqual({ acked: false, retryDelay: 300 });
    // When to look again is on the row: a copy arriving earlier is retried for the time left.
    const early = (await consume(env, bodiesFor([second]))).byDelivery.get(second)!;
    expect(early.acked).toBe(false);
    expect(early.retryDelay).toBeGreaterThan(250);
    expect(early.retryDelay).toBeLessThanOrEqual(300);
    await tick(env);
    expect(queue.sent).toEqual([]);
    expect((await deliveryRows(env, hook.id)).map((r) => r.attempts)).toEqual([0, 0]);
    expect(await sink.deliveries(hook.name)).toEqual([]);
  });
});

describe('failures before the POST', () => {
  it('a secret the key ring cannot decrypt counts attempts with a fixed last_error and ends dead', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [{ subject: ['user', 'rotated'], payload: { card: 'secret-ish' } }]);
    const [delivery] = await deliveryRows(env, hook.id);
    // The v1 key that sealed the secret was dropped from PAYWIRE_ENCRYPTION_KEY.
    const other = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    const rotated = { ...env, PAYWIRE_ENCRYPTION_KEY: `v2:${other}` };
    const first = await consume(rotated, bodiesFor([delivery!.id]));
    expect(first.byDelivery.get(delivery!.id)).toEqual({ acked: false, retryDelay: 30 });
    expect((await deliveryRows(env, hook.id))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: null,
      last_error: SECRET_UNREADABLE_ERROR,
      backoff: 30,
    });
    let last = first;
    for (let i = 1; i < MAX_DELIVERY_ATTEMPTS; i++) {
      await makeDue(env, hook.id);
      last = await consume(rotated, bodiesFor([delivery!.id]));
    }
    expect(last.byDelivery.get(delivery!.id)).toEqual({ acked: true });
    const [row] = await deliveryRows(env, hook.id);
    expect(row).toMatchObject({
      status: 'dead',
      attempts: MAX_DELIVERY_ATTEMPTS,
      last_error: SECRET_UNREADABLE_ERROR,
    });
    expect(row!.last_error).not.toMatch(/whsec_|secret-ish|v1\./);
    expect(await sink.deliveries(hook.name)).toEqual([]);
  });
});

describe('the envelope', () => {
  it('pushed as pulled (messageEnvelope): created is the message time floored to the second', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    const [outboxId] = await insertMessages(env, [{ subject: ['user', 'clock'], payload: { n: 1 } }]);
    await sqlFor(env).query(
      "update paywire.outbox set created_at = '2026-01-01 00:00:00.7+00' where id = $1",
      [outboxId],
    );
    const [delivery] = await deliveryRows(env, hook.id);
    await consume(env, bodiesFor([delivery!.id]));
    const [got] = await sink.deliveries(hook.name);
    const pushed = JSON.parse(got!.body);
    // What the pull API lists for it (messageEnvelope, src/services/outbox/envelope.ts): created
    // floored, as a Date of created_at holds it. (The pull API itself lists only messages below
    // the cluster's oldest running transaction, which parallel test files may hold back.)
    expect(pushed).toEqual({
      id: String(outboxId),
      type: 'payment.succeeded',
      environment: 'test',
      created: Date.UTC(2026, 0, 1) / 1000,
      subject: { type: 'user', id: 'clock' },
      stripe_event_id: null,
      data: { n: 1 },
    });
  });
});

describe('retry audit', () => {
  it('retry-dead writes its audit entry with the count, and none when nothing was dead', async () => {
    const { env } = deliveryEnv();
    const hook = await sinkEndpoint(env, ['*']);
    await insertMessages(env, [{ subject: ['user', 'd1'] }, { subject: ['user', 'd2'] }]);
    await sqlFor(env).query(
      "update paywire.hook_deliveries set status = 'dead', attempts = 8 where endpoint_id = $1",
      [hook.id],
    );
    const audit = async () =>
      (await sqlFor(env).query(
        "select action, target, details from paywire.audit_log where action like 'hook.delivery.%' order by id",
      )) as Array<{ action: string; target: string | null; details: unknown }>;
    const res = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/retry-dead`, { admin: true });
    expect(res.json).toEqual({ retried: 2, enqueued: 2, remaining: 0 });
    const nothing = await call(env, 'POST', `/admin/v1/test/hooks/deliveries/retry-dead`, { admin: true });
    expect(nothing.json).toEqual({ retried: 0, enqueued: 0, remaining: 0 });
    const rows = await audit();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'hook.delivery.retry_dead', target: null });
    const details = typeof rows[0]!.details === 'string' ? JSON.parse(rows[0]!.details) : rows[0]!.details;
    expect(details).toEqual({ retried: 2 });
  });
});
