import { describe, expect, it } from 'vitest';
import { decryptSecret, loadKeyring } from '../../../src/crypto/secret-box';
import { TEST_ENCRYPTION_KEY } from '../../setup/bindings';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { call, rowCounts, sqlFor, totalRows } from '../support/worker';
import {
  adminEnv,
  configureEndpoint,
  connect,
  listEndpoints,
  mirrorCounts,
  newStripeAccount,
  restrictedKey,
  scanForSecrets,
  seedMirror,
  stripeDown,
} from './support';

scanForSecrets();

const accountA = await newStripeAccount('Connection Test A');
const accountB = await newStripeAccount('Connection Test B');

async function connectionRow(env: ReturnType<typeof adminEnv>, environment: string) {
  const rows = await sqlFor(env).query('select * from paywire.connections where environment = $1', [
    environment,
  ]);
  return rows[0] as Record<string, any> | undefined;
}

async function syncRuns(env: ReturnType<typeof adminEnv>, environment: string) {
  return (await sqlFor(env).query(
    'select kind, status, error from paywire.sync_runs where environment = $1 order by started_at, id',
    [environment],
  )) as Array<{ kind: string; status: string; error: string | null }>;
}

describe('PUT /admin/v1/:env/connection', () => {
  it('connects test: stores the key encrypted with account id/name and masked key, audits, queues a sync', async () => {
    const env = adminEnv();
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: accountA.testSecretKey },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      environment: 'test',
      accountId: accountA.accountId,
      accountName: 'Connection Test A',
      maskedKey: `sk_test_…${accountA.testSecretKey.slice(-4)}`,
      keyKind: 'secret',
      accountChanged: false,
      previousAccountId: null,
      syncRequested: true,
      webhookEndpoint: null,
    });

    const row = await connectionRow(env, 'test');
    expect(row).toMatchObject({
      account_id: accountA.accountId,
      account_name: 'Connection Test A',
      secret_key_masked: `sk_test_…${accountA.testSecretKey.slice(-4)}`,
      key_kind: 'secret',
      disconnected_at: null,
    });
    expect(row!.secret_key_ciphertext).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(row!.secret_key_ciphertext).not.toContain(accountA.testSecretKey);
    const keyring = await loadKeyring(TEST_ENCRYPTION_KEY);
    expect(await decryptSecret(keyring, row!.secret_key_ciphertext, 'connections:test:secret_key')).toBe(
      accountA.testSecretKey,
    );

    expect(await syncRuns(env, 'test')).toEqual([{ kind: 'full', status: 'requested', error: null }]);
    const audit = await sqlFor(env).query(
      'select actor, action, environment, target, details from paywire.audit_log',
    );
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'admin',
        action: 'connection.connect',
        environment: 'test',
        target: accountA.accountId,
        details: expect.objectContaining({
          maskedKey: `sk_test_…${accountA.testSecretKey.slice(-4)}`,
          syncRequested: true,
        }),
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(accountA.testSecretKey);
  });

  it('connects live with the live key, independently of test', async () => {
    const env = adminEnv();
    await connect(env, 'test', accountA.testSecretKey);
    const res = await call(env, 'PUT', '/admin/v1/live/connection', {
      admin: true,
      body: { secretKey: accountA.liveSecretKey },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      environment: 'live',
      accountId: accountA.accountId,
      maskedKey: expect.stringMatching(/^sk_live_…/),
    });
    expect((await connectionRow(env, 'live'))!.account_id).toBe(accountA.accountId);
    expect((await connectionRow(env, 'test'))!.secret_key_masked).toMatch(/^sk_test_…/);
  });

  it('a new key for the same account keeps the mirror, the endpoint and connectedAt, and queues no sync', async () => {
    const env = adminEnv();
    const first = await connect(env, 'test', accountA.testSecretKey);
    const endpoint = await configureEndpoint(env, 'test');
    await seedMirror(env, 'test', 'same');
    const again = await connect(env, 'test', accountA.testSecretKey);
    expect(again).toMatchObject({
      accountChanged: false,
      syncRequested: false,
      connectedAt: first.connectedAt,
      webhookEndpoint: { id: endpoint.endpoint.id },
    });
    expect(Object.values(await mirrorCounts(env, 'test')).every((n) => n === 1)).toBe(true);
    expect(await syncRuns(env, 'test')).toHaveLength(1);
    expect((await connectionRow(env, 'test'))!.webhook_endpoint_id).toBe(endpoint.endpoint.id);
  });

  it('a different account clears that environment’s mirror in the same write, queues a full sync and removes the old endpoint', async () => {
    const env = adminEnv();
    await connect(env, 'test', accountA.testSecretKey);
    await connect(env, 'live', accountA.liveSecretKey);
    const endpoint = await configureEndpoint(env, 'test');
    await seedMirror(env, 'test', 't');
    await seedMirror(env, 'live', 'l');
    const auditBefore = (await rowCounts(env)).audit_log!;

    // The same write: when its last part (the audit entry) fails, none of it happened — the
    // mirror is intact, the connection and its sync request unchanged, the old endpoint kept.
    const sql = sqlFor(env);
    const before = {
      counts: await rowCounts(env),
      connection: await connectionRow(env, 'test'),
      syncRuns: await syncRuns(env, 'test'),
    };
    await sql`create function public.refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit store unavailable'; end $$`;
    await sql`create trigger refuse_audit before insert on paywire.audit_log for each row execute function public.refuse_audit()`;
    const failed = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: accountB.testSecretKey },
    });
    await sql`drop trigger refuse_audit on paywire.audit_log`;
    expect(failed.status).toBe(500);
    expectErrorShape(failed.json, 'INTERNAL');
    expect(await rowCounts(env)).toEqual(before.counts);
    expect(Object.values(await mirrorCounts(env, 'test'))).toEqual(Array(10).fill(1));
    expect(await connectionRow(env, 'test')).toEqual(before.connection);
    expect(await syncRuns(env, 'test')).toEqual(before.syncRuns);
    expect((await listEndpoints(accountA.testSecretKey)).map((e) => e.id)).toContain(endpoint.endpoint.id);

    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: accountB.testSecretKey },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      accountId: accountB.accountId,
      previousAccountId: accountA.accountId,
      accountChanged: true,
      syncRequested: true,
      webhookEndpoint: null,
      previousWebhookEndpoint: { id: endpoint.endpoint.id, removed: true },
    });

    expect(Object.values(await mirrorCounts(env, 'test'))).toEqual(Array(10).fill(0));
    expect(Object.values(await mirrorCounts(env, 'live'))).toEqual(Array(10).fill(1));
    expect((await rowCounts(env)).audit_log).toBe(auditBefore + 1);
    // The first connection's sync request is void (other account); a new one is queued.
    expect(await syncRuns(env, 'test')).toEqual([
      { kind: 'full', status: 'canceled', error: 'account changed' },
      { kind: 'full', status: 'requested', error: null },
    ]);
    const row = await connectionRow(env, 'test');
    expect(row).toMatchObject({
      account_id: accountB.accountId,
      webhook_endpoint_id: null,
      webhook_secret_ciphertext: null,
    });
    expect((await listEndpoints(accountA.testSecretKey)).map((e) => e.id)).not.toContain(
      endpoint.endpoint.id,
    );
  });

  it('rejects a key Stripe does not know with Stripe’s reason (400) and stores nothing', async () => {
    const env = adminEnv();
    const bogus = `sk_test_${'Zz9'.repeat(12)}`;
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: bogus },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'INVALID_STRIPE_KEY');
    expect(res.json.error.message).toMatch(/Invalid API Key provided/);
    expect(res.text).not.toContain(bogus);
    expect(totalRows(await rowCounts(env))).toBe(0);
  });

  it('rejects things that are not secret keys before calling Stripe', async () => {
    const env = adminEnv();
    for (const [secretKey, pattern] of [
      ['pk_test_abcdefghijklmnop', /publishable key/],
      ['whsec_abcdefghijklmnop', /webhook signing secret/],
      ['not-a-key', /Not a Stripe secret key/],
      ['sk_test_short', /Not a Stripe secret key/],
    ] as const) {
      const res = await call(env, 'PUT', '/admin/v1/test/connection', { admin: true, body: { secretKey } });
      expect(res.status, secretKey).toBe(400);
      expectErrorShape(res.json, 'INVALID_STRIPE_KEY');
      expect(res.json.error.message).toMatch(pattern);
      expect(res.text).not.toContain(secretKey);
    }
    expect(totalRows(await rowCounts(env))).toBe(0);
  });

  it('restricted keys must match the environment too', async () => {
    const env = adminEnv();
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: 'rk_live_abcdefghijklmnopqrstuvwx' },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'KEY_ENVIRONMENT_MISMATCH');
  });

  it('validates the body', async () => {
    const env = adminEnv();
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { key: 'sk_test_x' },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'VALIDATION_FAILED');
  });

  it('answers 502 when Stripe is down, and stores nothing', async () => {
    const account = await newStripeAccount('Stripe Down');
    const restore = await stripeDown(account.testSecretKey, '/v1/account');
    try {
      const env = adminEnv();
      const res = await call(env, 'PUT', '/admin/v1/test/connection', {
        admin: true,
        body: { secretKey: account.testSecretKey },
      });
      expect(res.status).toBe(502);
      expectErrorShape(res.json, 'STRIPE_UNAVAILABLE');
      expect(totalRows(await rowCounts(env))).toBe(0);
    } finally {
      await restore();
    }
  });
});

describe('restricted (rk_) keys', () => {
  const reads = {
    product: 'read',
    price: 'read',
    customer: 'read',
    subscription: 'read',
    event: 'read',
    webhook: 'read',
  } as const;

  it('are accepted when they can read what Paywire needs; the account name needs account read', async () => {
    const env = adminEnv();
    const key = await restrictedKey(accountA.testSecretKey, { ...reads, account: 'read' });
    expect(key).toMatch(/^rk_test_/);
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: key },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      accountId: accountA.accountId,
      accountName: 'Connection Test A',
      keyKind: 'restricted',
      maskedKey: `rk_test_…${key.slice(-4)}`,
    });
    expect((await connectionRow(env, 'test'))!.key_kind).toBe('restricted');
  });

  it('without account read, the account id comes from Stripe’s permission error and the name stays empty', async () => {
    const env = adminEnv();
    const key = await restrictedKey(accountB.testSecretKey, reads);
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: key },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      accountId: accountB.accountId,
      accountName: null,
      keyKind: 'restricted',
    });
  });

  it('missing read permissions are all named in one 400, and nothing is stored', async () => {
    const env = adminEnv();
    const key = await restrictedKey(accountA.testSecretKey, {
      account: 'read',
      price: 'read',
      customer: 'read',
      subscription: 'read',
    });
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      body: { secretKey: key },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'MISSING_STRIPE_PERMISSIONS');
    expect(res.json.error.details).toEqual({
      missing: ['Products: read', 'Events: read', 'Webhook Endpoints: read'],
    });
    expect(res.text).not.toContain(key);
    expect(totalRows(await rowCounts(env))).toBe(0);
  });

  it('a read-only webhook permission is reported when configuring the endpoint (400, nothing changed)', async () => {
    const env = adminEnv();
    const key = await restrictedKey(accountA.testSecretKey, reads);
    await connect(env, 'test', key);
    const res = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'MISSING_STRIPE_PERMISSIONS');
    expect(res.json.error.details).toEqual({ missing: ['Webhook Endpoints: write'] });
    expect((await connectionRow(env, 'test'))!.webhook_endpoint_id).toBeNull();
  });
});

describe('DELETE /admin/v1/:env/connection', () => {
  it('removes the managed endpoint from Stripe, forgets the secrets, keeps the mirror and the account id', async () => {
    const env = adminEnv();
    await connect(env, 'test', accountA.testSecretKey);
    const endpoint = await configureEndpoint(env, 'test');
    await seedMirror(env, 'test', 'keep');

    const res = await call(env, 'DELETE', '/admin/v1/test/connection', { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      environment: 'test',
      accountId: accountA.accountId,
      webhookEndpoint: { id: endpoint.endpoint.id, removed: true },
    });
    const row = await connectionRow(env, 'test');
    expect(row).toMatchObject({
      account_id: accountA.accountId,
      secret_key_ciphertext: null,
      webhook_endpoint_id: null,
      webhook_secret_ciphertext: null,
    });
    expect(row!.disconnected_at).not.toBeNull();
    expect((await listEndpoints(accountA.testSecretKey)).map((e) => e.id)).not.toContain(
      endpoint.endpoint.id,
    );
    expect(Object.values(await mirrorCounts(env, 'test')).every((n) => n === 1)).toBe(true);
    const actions = await sqlFor(env).query('select action from paywire.audit_log order by id');
    expect(actions.map((a) => a.action)).toEqual([
      'connection.connect',
      'webhook_endpoint.configure',
      'connection.disconnect',
    ]);

    // Reconnecting the same account keeps the mirror and queues a sync (events were missed meanwhile).
    const again = await connect(env, 'test', accountA.testSecretKey);
    expect(again).toMatchObject({
      accountChanged: false,
      syncRequested: true,
      previousAccountId: accountA.accountId,
    });
    expect(Object.values(await mirrorCounts(env, 'test')).every((n) => n === 1)).toBe(true);
  });

  it('connecting another account after a disconnect still clears the old account’s mirror', async () => {
    const env = adminEnv();
    await connect(env, 'test', accountA.testSecretKey);
    await seedMirror(env, 'test', 'old');
    expect((await call(env, 'DELETE', '/admin/v1/test/connection', { admin: true })).status).toBe(200);
    const res = await connect(env, 'test', accountB.testSecretKey);
    expect(res).toMatchObject({ accountChanged: true, previousAccountId: accountA.accountId });
    expect(Object.values(await mirrorCounts(env, 'test'))).toEqual(Array(10).fill(0));
  });

  it('answers 409 NOT_CONNECTED when there is nothing to disconnect', async () => {
    const env = adminEnv();
    const res = await call(env, 'DELETE', '/admin/v1/live/connection', { admin: true });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
  });

  it('keeps the connection when Stripe is down (502), unless forced', async () => {
    const account = await newStripeAccount('Disconnect Down');
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const endpoint = await configureEndpoint(env, 'test');
    const restore = await stripeDown(account.testSecretKey, '/v1/webhook_endpoints', 'DELETE');
    try {
      const res = await call(env, 'DELETE', '/admin/v1/test/connection', { admin: true });
      expect(res.status).toBe(502);
      expectErrorShape(res.json, 'STRIPE_UNAVAILABLE');
      expect((await connectionRow(env, 'test'))!.disconnected_at).toBeNull();

      const forced = await call(env, 'DELETE', '/admin/v1/test/connection?force=true', { admin: true });
      expect(forced.status).toBe(200);
      expect(forced.json.webhookEndpoint).toMatchObject({
        id: endpoint.endpoint.id,
        removed: false,
        reason: expect.any(String),
      });
      expect((await connectionRow(env, 'test'))!.disconnected_at).not.toBeNull();
    } finally {
      await restore();
    }
  });
});

runAdminSecurityTests({
  method: 'PUT',
  path: '/admin/v1/{env}/connection',
  body: { secretKey: accountA.testSecretKey },
  bodyWithKeyOf: (keyEnv) => ({
    secretKey: keyEnv === 'live' ? accountA.liveSecretKey : accountA.testSecretKey,
  }),
});
runAdminSecurityTests({ method: 'DELETE', path: '/admin/v1/{env}/connection' });
