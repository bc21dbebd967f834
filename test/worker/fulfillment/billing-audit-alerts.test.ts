/**
 * Billing audit and alerts (migrations 0023/0024, src/services/alerts): payment failures in a
 * row from real emulator dunning flows, the webhook alerts of the cron tick, the admin routes
 * and what `paywire status --json` shows (GET /admin/v1/status).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../../src/services/alerts/evaluate-alerts';
import { emulatorAccount, relay, withEmulatorEndpoint } from '../support/emulator';
import { neonControl } from '../support/neon';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { serviceContextFor } from '../support/service-context';
import { postEvent, WEBHOOK_SECRET_TEST } from '../support/webhooks';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

let env: TestEnv;
let emulator: Awaited<ReturnType<typeof emulatorAccount>>;
const sql = () => sqlFor(env);
const DAY = 86_400;

beforeAll(async () => {
  emulator = await emulatorAccount(isolatedEnv(), 'billing audit and alerts');
  ({ env } = await withEmulatorEndpoint(isolatedEnv(), emulator));
  env = { ...env, STRIPE_WEBHOOK_SECRET_TEST: `${env.STRIPE_WEBHOOK_SECRET_TEST},${WEBHOOK_SECRET_TEST}` };
});

const okDeliveries = async () => {
  const deliveries = await relay(env, emulator.control);
  expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);
};

const alertRows = (dedupeKey: string) =>
  sql()`select id::text, kind, subject_type, subject_id, resolved_at, details from paywire.alerts
        where environment = 'test' and dedupe_key = ${dedupeKey} order by opened_at`;
const raisedFor = (alertId: string) =>
  sql()`select topic, dedupe_key, aggregate_type, subject_type, subject_id, payload from paywire.outbox
        where dedupe_key = ${`alert.raised:${alertId}`}`;

async function putSettings(body: unknown) {
  return call(env, 'PUT', '/admin/v1/test/alerts/settings', { admin: true, body });
}

describe('payment failures in a row', () => {
  it('the third failed payment of a subject opens one alert, with one alert.raised; the fourth adds none', async () => {
    const subject = { paywire_subject_type: 'team', paywire_subject_id: 'team_dunning' };
    const result = await emulator.control.trigger('subscription.past_due', {
      subscription_metadata: subject,
    });
    await okDeliveries(); // checkout paid, then the renewal's first attempt failed
    const invoice = result.objects.invoice!;
    expect(await alertRows('payment_failures:team:team_dunning')).toEqual([]);

    await emulator.control.advanceClock(3 * DAY + 60); // retry 1 fails: 2 in a row
    await okDeliveries();
    expect(await alertRows('payment_failures:team:team_dunning')).toEqual([]);

    await emulator.control.advanceClock(5 * DAY + 60); // retry 2 fails: 3 in a row
    await okDeliveries();
    const [alert, ...more] = await alertRows('payment_failures:team:team_dunning');
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      kind: 'payment_failures',
      subject_type: 'team',
      subject_id: 'team_dunning',
      resolved_at: null,
      details: { failures: 3, threshold: 3 },
    });
    expect(await raisedFor(alert!.id)).toEqual([
      expect.objectContaining({
        topic: 'alert.raised',
        aggregate_type: 'alert',
        subject_type: 'team',
        subject_id: 'team_dunning',
        payload: expect.objectContaining({ alert_id: alert!.id, kind: 'payment_failures' }),
      }),
    ]);

    // What `paywire status --json` prints.
    const status = await call<any>(env, 'GET', '/admin/v1/status', { admin: true });
    expect(status.status).toBe(200);
    expect(status.json.environments.test.alerts.open).toBeGreaterThanOrEqual(1);
    expect(status.json.environments.test.alerts.latest).toContainEqual(
      expect.objectContaining({ id: alert!.id, kind: 'payment_failures', subjectId: 'team_dunning' }),
    );
    expect(status.json.environments.live.alerts).toEqual({ open: 0, latest: [] });

    await emulator.control.advanceClock(7 * DAY + 60); // retry 3 fails: 4 in a row (then canceled)
    await okDeliveries();
    expect(await alertRows('payment_failures:team:team_dunning')).toHaveLength(1);
    const raised =
      await sql()`select count(*)::int as n from paywire.outbox where topic = 'alert.raised' and subject_id = 'team_dunning'`;
    expect(raised[0]!.n).toBe(1);
    const failed =
      await sql()`select dedupe_key from paywire.outbox where topic = 'invoice.payment_failed' and aggregate_id = ${invoice} order by dedupe_key`;
    expect(failed.map((r) => r.dedupe_key)).toEqual(
      [1, 2, 3, 4].map((n) => `invoice.payment_failed:${invoice}:${n}`),
    );
    const audit =
      await sql()`select count(*)::int as n from paywire.billing_audit where stripe_object_id = ${invoice} and new_status = 'payment_failed'`;
    expect(audit[0]!.n).toBe(4);
  });

  it('a later successful payment resolves the alert (threshold 1 through the settings route)', async () => {
    expect((await putSettings({ paymentFailures: 1 })).status).toBe(200);
    try {
      const subject = { paywire_subject_type: 'team', paywire_subject_id: 'team_recovers' };
      const result = await emulator.control.trigger('subscription.past_due', {
        subscription_metadata: subject,
      });
      await okDeliveries();
      const [opened] = await alertRows('payment_failures:team:team_recovers');
      expect(opened).toMatchObject({ resolved_at: null, details: { failures: 1, threshold: 1 } });
      expect(await raisedFor(opened!.id)).toHaveLength(1);

      // The card works again: the next retry pays the invoice.
      await emulator.control.setPaymentBehavior(result.objects.customer!, { fail: false });
      await emulator.control.advanceClock(3 * DAY + 60);
      await okDeliveries();
      const [resolved, ...more] = await alertRows('payment_failures:team:team_recovers');
      expect(more).toEqual([]);
      expect(resolved!.resolved_at).not.toBeNull();
      const listed = await call<any>(
        env,
        'GET',
        '/admin/v1/test/alerts?status=resolved&kind=payment_failures',
        {
          admin: true,
        },
      );
      expect(listed.json.data.map((a: { id: string }) => a.id)).toContain(opened!.id);
    } finally {
      expect((await putSettings({ paymentFailures: 3 })).status).toBe(200);
    }
  });

  it('delivered in any order, a run of failures is counted in Stripe time: the earlier paid invoice does not reset it', async () => {
    await emulator.control.setDeliveryMode({ shuffle: true, duplicate: 1, seed: 5 });
    try {
      const subject = { paywire_subject_type: 'team', paywire_subject_id: 'team_unpaid' };
      await emulator.control.trigger('subscription.unpaid', { subscription_metadata: subject });
      await okDeliveries();
    } finally {
      await emulator.control.setDeliveryMode({ shuffle: false, duplicate: 0 });
    }
    const alerts = await alertRows('payment_failures:team:team_unpaid');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.resolved_at).toBeNull();
    expect(await raisedFor(alerts[0]!.id)).toHaveLength(1);
  });
});

describe('one failed attempt, many deliveries', () => {
  // Distinct events of one invoice attempt written as processed at once: on real Postgres they
  // run concurrently (the unique failed-attempt index decides), on PGlite one after another.
  const failedEvent = (id: string, invoice: string, customer: string, status = 'processed') =>
    sql()`insert into paywire.webhook_events (environment, stripe_event_id, type, livemode, stripe_created, processing_status, payload)
          values ('test', ${id}, 'invoice.payment_failed', false, 1790000500, ${status},
                  ${JSON.stringify({
                    id,
                    type: 'invoice.payment_failed',
                    data: {
                      object: {
                        id: invoice,
                        object: 'invoice',
                        customer,
                        status: 'open',
                        attempt_count: 1,
                        amount_due: 4900,
                        currency: 'usd',
                      },
                    },
                  })}::jsonb)`;
  const failedRows = (invoice: string) =>
    sql()`select stripe_event_id from paywire.billing_audit where stripe_object_id = ${invoice} and new_status = 'payment_failed'`;

  it('20 concurrent deliveries of one attempt: one audit row, one message, no inflated alert', async () => {
    const customer = `cus_race_${Date.now().toString(36)}`;
    const invoice = `in_race_${Date.now().toString(36)}`;
    await sql()`insert into paywire.customer_mappings (environment, subject_type, subject_id, stripe_customer_id, source)
                values ('test', 'team', 'team_race', ${customer}, 'metadata')`;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => failedEvent(`evt_race_${invoice}_${i}`, invoice, customer)),
    );
    expect(await failedRows(invoice)).toHaveLength(1);
    const messages =
      await sql()`select dedupe_key, subject_id from paywire.outbox where topic = 'invoice.payment_failed' and aggregate_id = ${invoice}`;
    expect(messages).toEqual([
      { dedupe_key: `invoice.payment_failed:${invoice}:1`, subject_id: 'team_race' },
    ]);
    expect(await alertRows('payment_failures:team:team_race')).toEqual([]);
  });

  it('only the change to processed records the attempt: a processed row updated again adds nothing', async () => {
    const customer = `cus_reproc_${Date.now().toString(36)}`;
    const invoice = `in_reproc_${Date.now().toString(36)}`;
    const id = `evt_reproc_${invoice}`;
    await failedEvent(id, invoice, customer, 'pending');
    expect(await failedRows(invoice)).toEqual([]);
    await sql()`update paywire.webhook_events set processing_status = 'processed' where stripe_event_id = ${id}`;
    expect(await failedRows(invoice)).toEqual([{ stripe_event_id: id }]);
    // (the row removed by hand: an update processed → processed must not even enter the trigger)
    await sql()`delete from paywire.billing_audit where stripe_object_id = ${invoice}`;
    await sql()`update paywire.webhook_events set processing_status = 'processed' where stripe_event_id = ${id}`;
    expect(await failedRows(invoice)).toEqual([]);
  });
});

describe('billing audit', () => {
  it('records every status change of a subject, listed newest first in keyset pages', async () => {
    const subject = { paywire_subject_type: 'team', paywire_subject_id: 'team_audit' };
    const result = await emulator.control.trigger('subscription.canceled_now', {
      subscription_metadata: subject,
    });
    await okDeliveries();
    const subscriptionId = result.objects.subscription!;
    const rows = await sql()`select old_status, new_status, stripe_event_id from paywire.billing_audit
                  where entity = 'subscription' and stripe_object_id = ${subscriptionId} order by id`;
    // delivered in any order: the first state seen, then each change to the final one
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.old_status).toBeNull();
    expect(rows.at(-1)!.new_status).toBe('canceled');
    for (const r of rows) expect(r.stripe_event_id).toMatch(/^evt_/);

    const all = await call<any>(
      env,
      'GET',
      '/admin/v1/test/billing-audit?subject_type=team&subject_id=team_audit&limit=100',
      { admin: true },
    );
    expect(all.status).toBe(200);
    const total = all.json.data.length;
    expect(total).toBeGreaterThanOrEqual(rows.length + 1); // the subscription's and its payments'
    for (const e of all.json.data) expect(e).toMatchObject({ subjectType: 'team', subjectId: 'team_audit' });
    const ids = all.json.data.map((e: { id: string }) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const first = await call<any>(
      env,
      'GET',
      '/admin/v1/test/billing-audit?subject_type=team&subject_id=team_audit&limit=2',
      { admin: true },
    );
    expect(first.json.data).toHaveLength(2);
    const second = await call<any>(
      env,
      'GET',
      `/admin/v1/test/billing-audit?subject_type=team&subject_id=team_audit&limit=100&cursor=${first.json.nextCursor}`,
      { admin: true },
    );
    expect([...first.json.data, ...second.json.data].map((e: { id: string }) => e.id)).toEqual(
      all.json.data.map((e: { id: string }) => e.id),
    );

    const byObject = await call<any>(env, 'GET', `/admin/v1/test/billing-audit?object=${subscriptionId}`, {
      admin: true,
    });
    expect(byObject.json.data.map((e: { newStatus: string }) => e.newStatus)).toEqual(
      [...rows].reverse().map((r) => r.new_status),
    );
  });

  it('refuses malformed filters (400)', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/billing-audit?subject_type=a%20b', { admin: true });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'VALIDATION_FAILED');
  });
});

describe('webhook alerts (cron tick)', () => {
  it('failed webhook events at the threshold open webhook_failures once; below it, it is resolved', async () => {
    const ctx = serviceContextFor(env);
    expect((await putSettings({ webhookFailures: 1 })).status).toBe(200);
    // A signed event Postgres cannot take as is: recorded as failed (docs/projection.md).
    const res = await postEvent(env, {
      id: 'evt_badshape_alerts',
      object: 'event',
      type: 'not a type',
      created: 1_790_000_000,
      livemode: false,
      data: { object: { id: 'x' } },
    } as never);
    expect(res.status).toBe(200);
    const first = await evaluateAlerts(ctx, 'test');
    expect(first).toMatchObject({ opened: ['webhook_failures'], resolved: [] });
    expect(first.failedEvents).toBeGreaterThanOrEqual(1);
    const again = await evaluateAlerts(ctx, 'test');
    expect(again.opened).toEqual([]);
    const [alert, ...more] = await alertRows('webhook_failures');
    expect(more).toEqual([]);
    expect(await raisedFor(alert!.id)).toEqual([
      expect.objectContaining({
        subject_type: null,
        payload: expect.objectContaining({ kind: 'webhook_failures' }),
      }),
    ]);

    expect((await putSettings({ webhookFailures: 1000 })).status).toBe(200);
    expect(await evaluateAlerts(ctx, 'test')).toMatchObject({ opened: [], resolved: ['webhook_failures'] });
    const [resolved] = await alertRows('webhook_failures');
    expect(resolved!.resolved_at).not.toBeNull();
    const listed = await call<any>(
      env,
      'GET',
      '/admin/v1/test/alerts?status=resolved&kind=webhook_failures',
      {
        admin: true,
      },
    );
    expect(listed.json.data.map((a: { id: string }) => a.id)).toContain(alert!.id);
    const open = await call<any>(env, 'GET', '/admin/v1/test/alerts', { admin: true });
    expect(open.json.data.map((a: { id: string }) => a.id)).not.toContain(alert!.id);
  });

  it('events pending longer than backlog_minutes open webhook_backlog', async () => {
    const ctx = serviceContextFor(env);
    expect((await putSettings({ webhookBacklog: 2, backlogMinutes: 30 })).status).toBe(200);
    const insertPending = (id: string, minutesAgo: number) =>
      sql()`insert into paywire.webhook_events (environment, stripe_event_id, type, livemode, stripe_created, processing_status, payload, received_at)
            values ('test', ${id}, 'invoice.paid', false, 1790000000, 'pending', ${JSON.stringify({ id })}::jsonb, now() - make_interval(mins => ${minutesAgo}))`;
    await insertPending('evt_backlog_1', 45);
    await insertPending('evt_backlog_2', 10); // not old enough
    expect((await evaluateAlerts(ctx, 'test')).backlog).toBe(1);
    expect(await alertRows('webhook_backlog')).toEqual([]);
    await insertPending('evt_backlog_3', 31);
    expect(await evaluateAlerts(ctx, 'test')).toMatchObject({ backlog: 2, opened: ['webhook_backlog'] });
    expect(await alertRows('webhook_backlog')).toHaveLength(1);
    await sql()`delete from paywire.webhook_events where stripe_event_id like 'evt_backlog_%'`;
    expect(await evaluateAlerts(ctx, 'test')).toMatchObject({ resolved: ['webhook_backlog'] });
  });
});

describe('alert settings routes', () => {
  it('GET shows the defaults, PUT changes some thresholds and is audited', async () => {
    const fresh = isolatedEnv();
    const defaults = await call<any>(fresh, 'GET', '/admin/v1/live/alerts/settings', { admin: true });
    expect(defaults.json).toEqual({
      environment: 'live',
      paymentFailures: 3,
      webhookFailures: 10,
      webhookBacklog: 100,
      backlogMinutes: 15,
      updatedAt: null,
    });
    const put = await call<any>(fresh, 'PUT', '/admin/v1/live/alerts/settings', {
      admin: true,
      body: { paymentFailures: 5 },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ paymentFailures: 5, webhookFailures: 10, backlogMinutes: 15 });
    const row = await sqlFor(
      fresh,
    )`select payment_failures, webhook_failures from paywire.alert_settings where environment = 'live'`;
    expect(row).toEqual([{ payment_failures: 5, webhook_failures: 10 }]);
    const audit = await call<any>(fresh, 'GET', '/admin/v1/audit?action=alerts.settings.update', {
      admin: true,
    });
    expect(audit.json.data[0]).toMatchObject({ action: 'alerts.settings.update', environment: 'live' });
  });

  it.each([
    [{}, 'nothing to change'],
    [{ paymentFailures: 0 }, 'below 1'],
    [{ paymentFailures: 2.5 }, 'not an integer'],
    [{ backlogMinutes: 100_000 }, 'above the maximum'],
    [{ other: 1 }, 'unknown field'],
  ] as Array<[unknown, string]>)('PUT refuses %j (%s) with 400 and writes nothing', async (body) => {
    const fresh = isolatedEnv();
    const res = await call(fresh, 'PUT', '/admin/v1/test/alerts/settings', { admin: true, body });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'VALIDATION_FAILED');
    const rows = await sqlFor(fresh)`select count(*)::int as n from paywire.alert_settings`;
    expect(rows[0]!.n).toBe(0);
  });

  it('GET alerts refuses an unknown status (400)', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/alerts?status=closed', { admin: true });
    expect(res.status).toBe(400);
  });
});

describe('database outage', () => {
  it('every alert and billing audit route answers 503 DB_UNAVAILABLE and the settings are unchanged', async () => {
    const fresh = isolatedEnv();
    const neon = neonControl(fresh);
    await neon.outage(true);
    let answers: Array<[string, number, unknown]>;
    try {
      answers = [];
      for (const [method, path, body] of [
        ['GET', '/admin/v1/test/alerts'],
        ['GET', '/admin/v1/test/alerts/settings'],
        ['PUT', '/admin/v1/test/alerts/settings', { paymentFailures: 7 }],
        ['GET', '/admin/v1/test/billing-audit?subject_type=team&subject_id=acme'],
      ] as Array<[string, string, unknown?]>) {
        const res = await call(fresh, method, path, { admin: true, body });
        answers.push([`${method} ${path}`, res.status, res.json]);
      }
    } finally {
      await neon.outage(false);
    }
    for (const [, status, json] of answers) {
      expect(status).toBe(503);
      expectErrorShape(json, 'DB_UNAVAILABLE');
    }
    const rows = await sqlFor(fresh)`select count(*)::int as n from paywire.alert_settings`;
    expect(rows[0]!.n).toBe(0);
  });
});

runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/alerts' });
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/alerts/settings' });
runAdminSecurityTests({
  method: 'PUT',
  path: '/admin/v1/{env}/alerts/settings',
  body: { paymentFailures: 4 },
});
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/billing-audit' });
