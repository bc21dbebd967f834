import { describe, expect, it } from 'vitest';
import * as schema from '../../../drizzle/schema';
import { PROJECTED_EVENT_TYPES } from '../../../src/services/projection';
import { STRIPE_API_VERSION } from '../../../src/stripe/client';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { call, dbFor, sqlFor } from '../support/worker';
import { adminEnv, configureEndpoint, connect, newStripeAccount, scanForSecrets } from './support';

scanForSecrets();

const account = await newStripeAccount('Status Test');

describe('GET /admin/v1/status', () => {
  it('reports both environments as not connected on a fresh install', async () => {
    const env = adminEnv();
    const res = await call(env, 'GET', '/admin/v1/status', { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      stripeApiVersion: STRIPE_API_VERSION,
      projectedEventTypes: PROJECTED_EVENT_TYPES.length,
    });
    for (const environment of ['test', 'live']) {
      expect(res.json.environments[environment]).toEqual({
        environment,
        connected: false,
        account: null,
        maskedKey: null,
        keyKind: null,
        connectedAt: null,
        disconnectedAt: null,
        webhookEndpoint: null,
        events: {
          lastReceivedAt: null,
          lastEventId: null,
          lastEventType: null,
          lastEventAgeSeconds: null,
          pending: 0,
          failed: 0,
        },
        lastSync: null,
        alerts: { open: 0, latest: [] },
        lastRepair: null,
      });
    }
  });

  it('reports connection, masked key, endpoint, last event and its age, failed events and the last sync per environment', async () => {
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const { endpoint } = await configureEndpoint(env, 'test');
    const db = dbFor(env);
    const base = { livemode: false, stripeCreated: 1, payload: {} };
    await db.batch([
      db.insert(schema.webhookEvents).values({
        ...base,
        environment: 'test',
        stripeEventId: 'evt_old',
        type: 'customer.created',
        processingStatus: 'processed',
        receivedAt: new Date(Date.now() - 3_600_000),
      }),
      db.insert(schema.webhookEvents).values({
        ...base,
        environment: 'test',
        stripeEventId: 'evt_failed',
        type: 'invoice.paid',
        processingStatus: 'failed',
        lastError: 'boom',
        receivedAt: new Date(Date.now() - 120_000),
      }),
      db.insert(schema.webhookEvents).values({
        ...base,
        environment: 'live',
        livemode: true,
        stripeEventId: 'evt_live',
        type: 'product.created',
        processingStatus: 'pending',
      }),
      db.insert(schema.syncRuns).values({
        environment: 'test',
        kind: 'full',
        status: 'completed',
        counts: { products: 3 },
        drift: { products: 1 },
        startedAt: new Date(Date.now() + 1000),
        finishedAt: new Date(Date.now() + 2000),
      }),
    ]);

    const res = await call(env, 'GET', '/admin/v1/status', { admin: true });
    expect(res.status).toBe(200);
    const test = res.json.environments.test;
    expect(test).toMatchObject({
      connected: true,
      account: { id: account.accountId, name: 'Status Test' },
      maskedKey: `sk_test_…${account.testSecretKey.slice(-4)}`,
      keyKind: 'secret',
      webhookEndpoint: {
        id: endpoint.id,
        url: endpoint.url,
        apiVersion: STRIPE_API_VERSION,
        enabledEvents: PROJECTED_EVENT_TYPES.length,
        upToDate: true,
      },
      events: {
        lastEventId: 'evt_failed',
        lastEventType: 'invoice.paid',
        failed: 1,
        pending: 0,
      },
      lastSync: { kind: 'full', status: 'completed', counts: { products: 3 }, drift: { products: 1 } },
    });
    expect(test.events.lastEventAgeSeconds).toBeGreaterThanOrEqual(115);
    expect(test.events.lastEventAgeSeconds).toBeLessThan(600);
    expect(res.json.environments.live).toMatchObject({
      connected: false,
      events: { lastEventId: 'evt_live', failed: 0, pending: 1 },
      lastSync: null,
    });
    expect(res.text).not.toContain(account.testSecretKey);

    // An endpoint with an old event list is flagged for reconfiguration.
    await sqlFor(env).query(
      "update paywire.connections set webhook_enabled_events = array['customer.created']",
    );
    const stale = await call(env, 'GET', '/admin/v1/status', { admin: true });
    expect(stale.json.environments.test.webhookEndpoint.upToDate).toBe(false);
  });

  it('shows a disconnected environment with its last account and no key', async () => {
    const env = adminEnv();
    await connect(env, 'live', account.liveSecretKey);
    await call(env, 'DELETE', '/admin/v1/live/connection', { admin: true });
    const res = await call(env, 'GET', '/admin/v1/status', { admin: true });
    expect(res.json.environments.live).toMatchObject({
      connected: false,
      account: { id: account.accountId },
      maskedKey: null,
      disconnectedAt: expect.any(String),
    });
  });
});

describe('GET /admin/v1/audit', () => {
  it('lists admin actions newest first, filters them, pages with a cursor, and never holds secrets', async () => {
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    await configureEndpoint(env, 'test');
    await connect(env, 'live', account.liveSecretKey);
    await call(env, 'DELETE', '/admin/v1/live/connection', { admin: true });

    const all = await call(env, 'GET', '/admin/v1/audit', { admin: true });
    expect(all.status).toBe(200);
    expect(all.json.data.map((e: { action: string }) => e.action)).toEqual([
      'connection.disconnect',
      'connection.connect',
      'webhook_endpoint.configure',
      'connection.connect',
    ]);
    expect(all.json.data[0]).toMatchObject({
      id: expect.any(String),
      createdAt: expect.any(String),
      actor: 'admin',
      environment: 'live',
      target: account.accountId,
      requestId: expect.stringMatching(/^req_/),
    });
    expect(all.text).not.toContain(account.testSecretKey);
    expect(all.text).not.toContain(account.liveSecretKey);
    expect(all.text).not.toMatch(/whsec_/);

    const live = await call(env, 'GET', '/admin/v1/audit?environment=live', { admin: true });
    expect(live.json.data.map((e: { action: string }) => e.action)).toEqual([
      'connection.disconnect',
      'connection.connect',
    ]);
    const connects = await call(env, 'GET', '/admin/v1/audit?action=connection.*', { admin: true });
    expect(connects.json.data).toHaveLength(3);

    const page1 = await call(env, 'GET', '/admin/v1/audit?limit=3', { admin: true });
    expect(page1.json.data).toHaveLength(3);
    expect(page1.json.nextCursor).toEqual(expect.any(String));
    const page2 = await call(env, 'GET', `/admin/v1/audit?limit=3&cursor=${page1.json.nextCursor}`, {
      admin: true,
    });
    expect(page2.json).toEqual({ data: [all.json.data[3]], nextCursor: null });
  });

  it('rejects bad filters', async () => {
    const env = adminEnv();
    expectErrorShape(
      (await call(env, 'GET', '/admin/v1/audit?environment=staging', { admin: true })).json,
      'NOT_FOUND',
    );
    expectErrorShape(
      (await call(env, 'GET', '/admin/v1/audit?cursor=garbage', { admin: true })).json,
      'VALIDATION_FAILED',
    );
    expectErrorShape(
      (await call(env, 'GET', '/admin/v1/audit?limit=1000', { admin: true })).json,
      'VALIDATION_FAILED',
    );
  });
});

runAdminSecurityTests({ method: 'GET', path: '/admin/v1/status' });
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/audit' });
