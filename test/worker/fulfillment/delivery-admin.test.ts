/**
 * The admin side of hook delivery: endpoints (URL rules, the secret shown once and never again,
 * masked, encrypted at rest, audited without it), the pull API (after/ack), and the cron tick
 * re-enqueueing stuck deliveries but never dead ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../../src/logger';
import { call, responseLog, sqlFor, type TestEnv } from '../support/worker';
import {
  deliveryEnv,
  deliveryRows,
  insertMessages,
  pullable,
  type RecordingQueue,
  sinkUrl,
  tick,
} from './delivery-support';

const admin = { admin: true };
const logLines: string[] = [];
let restoreSink: () => void;
beforeAll(() => {
  const previous = setLogSink((line) => void logLines.push(line));
  restoreSink = () => setLogSink(previous);
});
afterAll(() => restoreSink());

describe('hook endpoints', () => {
  let env: TestEnv;
  beforeAll(() => {
    ({ env } = deliveryEnv({ LOG_LEVEL: 'debug' }));
  });

  it('URL rules: https anywhere, http only to the local machine; topics are checked', async () => {
    const bad = [
      { url: 'http://app.example.com/hooks', events: ['*'] },
      { url: 'ftp://127.0.0.1/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://app.example.com/hooks', events: ['payment.exploded'] },
      { url: 'https://app.example.com/hooks', events: [] },
    ];
    for (const body of bad) {
      const res = await call(env, 'POST', '/admin/v1/test/hooks', { ...admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
    }
    for (const url of ['https://app.example.com/hooks', 'http://localhost:3000/h', 'http://127.0.0.1:9/h']) {
      const res = await call(env, 'POST', '/admin/v1/test/hooks', {
        ...admin,
        body: { url, events: ['payment.succeeded', 'payment.succeeded'] },
      });
      expect(res.status, url).toBe(201);
      expect(res.json.events).toEqual(['payment.succeeded']);
    }
    expect(
      (
        await call(env, 'POST', '/admin/v1/staging/hooks', {
          ...admin,
          body: { url: 'https://a.example', events: ['*'] },
        })
      ).status,
    ).toBe(404);
    expect((await call(env, 'GET', '/admin/v1/test/hooks')).status).toBe(401);
  });

  it('the signing secret is returned at creation and rotation only; listed, audited and stored masked or encrypted', async () => {
    const created = await call(env, 'POST', '/admin/v1/test/hooks', {
      ...admin,
      body: { url: `${sinkUrl()}/hooks/secret-scan?token=abc`, events: ['*'], description: 'app' },
    });
    expect(created.status).toBe(201);
    const secret = created.json.secret as string;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(created.json.secretMasked).toBe(`whsec_…${secret.slice(-4)}`);
    const id = created.json.id as string;

    const listed = await call(env, 'GET', '/admin/v1/test/hooks', admin);
    expect(listed.status).toBe(200);
    const mine = listed.json.data.find((e: { id: string }) => e.id === id);
    expect(mine).toMatchObject({
      id,
      events: ['*'],
      enabled: true,
      description: 'app',
      secretMasked: created.json.secretMasked,
    });
    expect(mine.secret).toBeUndefined();

    const patched = await call(env, 'PATCH', `/admin/v1/test/hooks/${id}`, {
      ...admin,
      body: { events: ['payment.refunded'], enabled: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ events: ['payment.refunded'], enabled: false });
    expect(patched.json.secret).toBeUndefined();
    expect((await call(env, 'PATCH', `/admin/v1/test/hooks/${id}`, { ...admin, body: {} })).status).toBe(400);
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(
      (await call(env, 'PATCH', `/admin/v1/test/hooks/${missing}`, { ...admin, body: { enabled: true } }))
        .status,
    ).toBe(404);
    expect(
      (await call(env, 'PATCH', `/admin/v1/live/hooks/${id}`, { ...admin, body: { enabled: true } })).status,
    ).toBe(404);

    const rotated = await call(env, 'POST', `/admin/v1/test/hooks/${id}/rotate-secret`, admin);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(newSecret).not.toBe(secret);

    const stored = (await sqlFor(env).query(
      'select secret_ciphertext, secret_masked from paywire.hook_endpoints where id = $1',
      [id],
    )) as Array<{ secret_ciphertext: string; secret_masked: string }>;
    expect(stored[0]!.secret_ciphertext).toMatch(/^v1\./);
    expect(stored[0]!.secret_masked).toBe(`whsec_…${newSecret.slice(-4)}`);
    const audit = (await sqlFor(env).query(
      "select action, target, details::text as details from paywire.audit_log where action like 'hook.%' and target = $1 order by id",
      [id],
    )) as Array<{ action: string; target: string; details: string }>;
    expect(audit.map((a) => a.action)).toEqual(['hook.create', 'hook.update', 'hook.rotate_secret']);
    expect(audit.map((a) => a.details).join(' ')).not.toContain('token=abc');

    const deleted = await call(env, 'DELETE', `/admin/v1/test/hooks/${id}`, admin);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ id, deleted: true });
    expect((await call(env, 'DELETE', `/admin/v1/test/hooks/${id}`, admin)).status).toBe(404);
    expect((await call(env, 'POST', `/admin/v1/test/hooks/${id}/rotate-secret`, admin)).status).toBe(404);
    const noDelivery = await call(env, 'POST', '/admin/v1/test/hooks/deliveries/987654/retry', admin);
    expect(noDelivery.status).toBe(404);
    expect(noDelivery.json.error.code).toBe('NOT_FOUND');

    // Each secret appears in exactly the one response that handed it out, and in no log line.
    for (const s of [secret, newSecret]) {
      expect(responseLog.filter((r) => r.includes(s))).toHaveLength(1);
      expect(logLines.filter((l) => l.includes(s))).toEqual([]);
      expect(JSON.stringify(await sqlFor(env).query('select * from paywire.audit_log'))).not.toContain(s);
      expect(JSON.stringify(await sqlFor(env).query('select * from paywire.hook_endpoints'))).not.toContain(
        s,
      );
    }
  });
});

describe('pull API', () => {
  it('after/limit/topic in id order; ack by ids or up_to is idempotent and flags the messages', async () => {
    const { env } = deliveryEnv();
    const ids = await insertMessages(env, [
      {
        topic: 'payment.succeeded',
        subject: ['user', 'p1'],
        stripeEventId: 'evt_p1',
        payload: { amount: 100 },
      },
      { topic: 'payment.refunded', subject: ['user', 'p1'], payload: { amount: 100 } },
      { topic: 'payment.succeeded', subject: null, aggregate: ['payment', 'pi_x'] },
      { topic: 'payment.succeeded', environment: 'live' },
    ]);
    await pullable(env, ids);
    const page1 = await call(env, 'GET', '/admin/v1/test/outbox?limit=2', admin);
    expect(page1.status).toBe(200);
    expect(page1.json.data.map((m: { id: string }) => m.id)).toEqual([String(ids[0]), String(ids[1])]);
    expect(page1.json.data[0]).toMatchObject({
      type: 'payment.succeeded',
      environment: 'test',
      subject: { type: 'user', id: 'p1' },
      stripe_event_id: 'evt_p1',
      data: { amount: 100 },
      acked: false,
    });
    expect(page1.json.nextAfter).toBe(String(ids[1]));
    const page2 = await call(
      env,
      'GET',
      `/admin/v1/test/outbox?after=${page1.json.nextAfter}&limit=2`,
      admin,
    );
    expect(page2.json.data.map((m: { id: string }) => m.id)).toEqual([String(ids[2])]);
    expect(page2.json.data[0].subject).toBeNull();
    expect(page2.json.nextAfter).toBeNull();
    const refunds = await call(env, 'GET', '/admin/v1/test/outbox?topic=payment.refunded', admin);
    expect(refunds.json.data.map((m: { id: string }) => m.id)).toEqual([String(ids[1])]);
    expect((await call(env, 'GET', '/admin/v1/test/outbox?topic=nope', admin)).status).toBe(400);

    const ack = (body: unknown) => call(env, 'POST', '/admin/v1/test/outbox/ack', { ...admin, body });
    expect((await ack({ ids: [ids[0]] })).json).toEqual({ acked: 1 });
    expect((await ack({ ids: [ids[0]] })).json).toEqual({ acked: 0 });
    expect((await ack({ up_to: ids[2] })).json).toEqual({ acked: 2 });
    // The live message is not the test environment's to ack.
    expect((await ack({ up_to: ids[3] })).json).toEqual({ acked: 0 });
    expect((await ack({})).status).toBe(400);
    const staging = await call(env, 'POST', '/admin/v1/staging/outbox/ack', { ...admin, body: { up_to: 1 } });
    expect(staging.status).toBe(404);
    const after = await call(env, 'GET', '/admin/v1/test/outbox', admin);
    expect(after.json.data.map((m: { acked: boolean }) => m.acked)).toEqual([true, true, true]);
    const live = await call(env, 'GET', '/admin/v1/live/outbox', admin);
    expect(live.json.data).toMatchObject([{ id: String(ids[3]), acked: false }]);
  });
});

describe('cron tick', () => {
  let env: TestEnv;
  let queue: RecordingQueue;
  beforeAll(() => {
    ({ env, queue } = deliveryEnv());
  });

  it('enqueues pending deliveries never handed over or left too long, never dead ones nor recently enqueued ones', async () => {
    const created = await call(env, 'POST', '/admin/v1/test/hooks', {
      ...admin,
      body: { url: `${sinkUrl()}/hooks/cron`, events: ['*'] },
    });
    const endpointId = created.json.id as string;
    await insertMessages(env, [{}, {}, {}, {}]);
    const [stuck, dead, fresh, never] = await deliveryRows(env, endpointId);
    const sql = sqlFor(env);
    // Written outside a webhook batch (as by the sync or an alert check): never enqueued.
    await sql.query('update paywire.hook_deliveries set enqueued_at = now() where id <> $1', [never!.id]);
    await sql.query(
      "update paywire.hook_deliveries set next_attempt_at = now() - interval '20 minutes', enqueued_at = now() - interval '20 minutes' where id = any($1::bigint[])",
      [[stuck!.id, dead!.id]],
    );
    await sql.query("update paywire.hook_deliveries set status = 'dead' where id = $1", [dead!.id]);
    await tick(env);
    expect(queue.sent.map((m) => m.deliveryId).sort((a, b) => a - b)).toEqual([stuck!.id, never!.id]);
    // Just handed over: not again on the next tick.
    await tick(env);
    expect(queue.sent).toHaveLength(2);
    expect(fresh!.status).toBe('pending');
  });

  it('a failing alert evaluation is logged and the stuck deliveries are still enqueued', async () => {
    const { env, queue } = deliveryEnv();
    const created = await call(env, 'POST', '/admin/v1/test/hooks', {
      ...admin,
      body: { url: `${sinkUrl()}/hooks/cron-alerts`, events: ['*'] },
    });
    await insertMessages(env, [{}]);
    const [never] = await deliveryRows(env, created.json.id as string);
    const sql = sqlFor(env);
    // The alert checks read webhook_events' counts through alert_settings: take it away.
    await sql.query('alter table paywire.alert_settings rename to alert_settings_gone');
    await tick(env);
    expect(logLines.some((l) => l.includes('alert evaluation failed'))).toBe(true);
    expect(queue.sent.map((m) => m.deliveryId)).toEqual([never!.id]);
  });
});
