/**
 * Secrets never leave the Worker. An end-to-end admin session (connect, configure the webhook
 * endpoint, signed deliveries, status, audit, reads, rotation, errors, disconnect) runs while
 * every response and log line is captured; then responses, log lines and the stored rows an
 * operator reads (audit log, events' last errors) are searched for the actual secret values.
 *
 * Redaction only matters where a raw secret reaches an error path, so the session puts them
 * there: a Stripe error whose message quotes raw keys and a webhook secret (5xx and 4xx, on
 * connect and on disconnect), a Postgres error (an app trigger) quoting them while a webhook
 * is projected, and a key pasted into a request path (the request log line). Each injection is checked to have arrived, masked, where it was sent
 * (a positive control), so the scan cannot pass just because nothing secret was ever in play.
 * Secrets no redaction pattern knows (admin key, encryption key, JWT secret, database password)
 * are scanned for as well.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../../src/logger';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../../setup/bindings';
import { call, responseLog, sqlFor, type TestEnv } from '../support/worker';
import { adminEnv, connect, control, newStripeAccount, stripeApi, stripeDown } from './support';

const DB_PASSWORD = 'pw-Scan-7c1e9b2f4a';
const masked = (key: string) => `${key.slice(0, 8)}…${key.slice(-4)}`; // sk_test_…abcd

const logLines: string[] = [];
let env: TestEnv;
let account: Awaited<ReturnType<typeof newStripeAccount>>;
let other: Awaited<ReturnType<typeof newStripeAccount>>;
let webhookSecret: string;
/** responses of the requests where raw secrets were injected */
const injected: Record<string, { status: number; text: string }> = {};
let stored: { audit: string; events: string; connections: string };

async function runSession() {
  const admin = { admin: true };
  account = await newStripeAccount('Secret Scan');
  other = await newStripeAccount('Secret Scan Other');
  const base = adminEnv({ LOG_LEVEL: 'debug' });
  const url = new URL(base.DATABASE_URL);
  url.password = DB_PASSWORD;
  env = { ...base, DATABASE_URL: url.toString() };

  await connect(env, 'test', account.testSecretKey);
  await connect(env, 'live', account.liveSecretKey);
  const configured = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', admin);
  expect(configured.status).toBe(200);
  const endpointId = configured.json.endpoint.id as string;
  const { json: secretInfo } = await control(
    account.testSecretKey,
    'GET',
    `/webhook_endpoints/${endpointId}/secret`,
  );
  webhookSecret = secretInfo.secret as string;
  expect(webhookSecret).toMatch(/^whsec_/);
  const nextDelivery = async () => {
    const pulled = await control(account.testSecretKey, 'POST', `/deliveries/next?endpoint=${endpointId}`);
    expect(pulled.status).toBe(200);
    return pulled.json as { body: string; headers: Record<string, string>; event_id: string };
  };

  // A signed delivery, a bad signature, and the reads.
  await stripeApi(account.testSecretKey, 'POST', '/v1/customers', { email: 'scan@example.com' });
  const delivery = await nextDelivery();
  expect(
    (await call(env, 'POST', '/webhooks/stripe/test', { rawBody: delivery.body, headers: delivery.headers }))
      .status,
  ).toBe(200);
  const badSignature = { rawBody: delivery.body, headers: { 'stripe-signature': 't=1,v1=00' } };
  expect((await call(env, 'POST', '/webhooks/stripe/test', badSignature)).status).toBe(400);

  // A Postgres error quoting raw secrets while a webhook is projected (an app trigger, as an
  // operator might write one): answered 500, recorded on the event, logged.
  const sql = sqlFor(env);
  await sql.query(`create function public.leaky() returns trigger language plpgsql as $$
    begin raise exception 'vault sync failed: key=${account.liveSecretKey} hook=${webhookSecret}'; end $$`);
  await sql.query(
    'create trigger leaky before insert on paywire.products for each row execute function public.leaky()',
  );
  await stripeApi(account.testSecretKey, 'POST', '/v1/products', { name: 'Scan me' });
  const failing = await nextDelivery();
  injected.projection = await call(env, 'POST', '/webhooks/stripe/test', {
    rawBody: failing.body,
    headers: failing.headers,
  });
  injected.eventRead = await call(env, 'GET', `/admin/v1/test/events/${failing.event_id}`, admin);
  injected.eventList = await call(env, 'GET', '/admin/v1/test/events?status=failed', admin);
  injected.retry = await call(env, 'POST', `/admin/v1/test/events/${failing.event_id}/retry`, admin);
  await sql.query('drop trigger leaky on paywire.products');

  for (const path of [
    '/admin/v1/status',
    '/admin/v1/audit',
    '/admin/v1/test/products',
    '/admin/v1/test/prices',
    '/admin/v1/test/customers',
    '/admin/v1/test/subscriptions',
    '/admin/v1/test/payments',
    '/admin/v1/test/events',
    `/admin/v1/test/events/${delivery.event_id}`,
  ]) {
    expect((await call(env, 'GET', path, admin)).status, path).toBe(200);
  }

  // A key pasted where an id goes: the request line (path) is logged as it came.
  injected.keyInPath = await call(env, 'GET', `/admin/v1/test/events/${account.liveSecretKey}`, admin);

  // Keys refused before Stripe is asked: the other environment's, an unknown one.
  const wrongEnv = { ...admin, body: { secretKey: account.liveSecretKey } };
  expect((await call(env, 'PUT', '/admin/v1/test/connection', wrongEnv)).status).toBe(400);
  const unknown = { ...admin, body: { secretKey: `${account.liveSecretKey}x` } };
  expect((await call(env, 'PUT', '/admin/v1/live/connection', unknown)).status).toBe(400);

  // Stripe errors quoting raw secrets: a 5xx and a 4xx while connecting another account's key.
  const leak = (key: string) => `upstream rejected key ${key} (signing with ${webhookSecret})`;
  let restore = await stripeDown(other.testSecretKey, '/v1/account', undefined, {
    message: leak(other.testSecretKey),
  });
  injected.connect5xx = await call(env, 'PUT', '/admin/v1/test/connection', {
    ...admin,
    body: { secretKey: other.testSecretKey },
  });
  await restore();
  restore = await stripeDown(other.testSecretKey, '/v1/account', undefined, {
    status: 401,
    message: leak(other.testSecretKey),
  });
  injected.connect4xx = await call(env, 'PUT', '/admin/v1/test/connection', {
    ...admin,
    body: { secretKey: other.testSecretKey },
  });
  await restore();

  expect(
    (await call(env, 'PUT', '/admin/v1/test/connection', { body: { secretKey: account.testSecretKey } }))
      .status,
  ).toBe(401);
  expect((await call(env, 'POST', '/admin/v1/encryption/rotate', admin)).status).toBe(200);

  // Disconnecting while Stripe's error (removing the endpoint) quotes the connected key.
  restore = await stripeDown(account.testSecretKey, '/v1/webhook_endpoints', 'DELETE', {
    message: leak(account.testSecretKey),
  });
  injected.disconnect = await call(env, 'DELETE', '/admin/v1/test/connection', admin);
  injected.forcedDisconnect = await call(env, 'DELETE', '/admin/v1/test/connection?force=true', admin);
  await restore();

  stored = {
    audit: JSON.stringify(await sql.query('select * from paywire.audit_log')),
    events: JSON.stringify(await sql.query('select * from paywire.webhook_events')),
    connections: JSON.stringify(await sql.query('select * from paywire.connections')),
  };
}

beforeAll(async () => {
  const previous = setLogSink((line) => {
    logLines.push(line);
  });
  try {
    await runSession();
  } finally {
    setLogSink(previous);
  }
});

/** Every secret value in play, by name (raw values: masked forms are allowed). */
function secrets(): Record<string, string> {
  return {
    'test key': account.testSecretKey,
    'live key': account.liveSecretKey,
    "other account's test key": other.testSecretKey,
    'webhook signing secret': webhookSecret,
    'admin key': TEST_ADMIN_KEY,
    'encryption key': TEST_ENCRYPTION_KEY.slice(3), // the key material after "v1:"
    'JWT secret': TEST_JWT_SECRET,
    'database password': DB_PASSWORD,
  };
}

function leaks(where: string, texts: string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const [name, value] of Object.entries(secrets())) {
      if (text.includes(value)) found.push(`${where}: ${name} in ${text.slice(0, 300)}`);
    }
    if (/whsec_[A-Za-z0-9]/.test(text)) found.push(`${where}: a whsec_ value in ${text.slice(0, 300)}`);
  }
  return found;
}

describe('raw secrets reach error paths during the session', () => {
  it('Stripe errors quoting raw keys arrive masked in the answer', () => {
    expect(injected.connect5xx!.status).toBe(502);
    expect(injected.connect5xx!.text).toContain(`upstream rejected key ${masked(other.testSecretKey)}`);
    expect(injected.connect4xx!.status).toBe(400);
    expect(injected.connect4xx!.text).toContain(`upstream rejected key ${masked(other.testSecretKey)}`);
    expect(injected.disconnect!.status).toBe(502);
    expect(injected.disconnect!.text).toContain(`upstream rejected key ${masked(account.testSecretKey)}`);
    expect(injected.forcedDisconnect!.status).toBe(200);
    expect(injected.forcedDisconnect!.text).toContain(
      `upstream rejected key ${masked(account.testSecretKey)} (signing with whsec_***)`,
    );
  });

  it('a Postgres error quoting raw secrets arrives masked on the event and in the log', () => {
    expect(injected.projection!.status).toBe(500);
    const quoted = `vault sync failed: key=${masked(account.liveSecretKey)} hook=whsec_***`;
    expect(injected.eventRead!.status).toBe(200);
    expect(injected.eventRead!.text).toContain(quoted);
    expect(injected.eventList!.text).toContain(quoted);
    expect(injected.retry!.status).toBe(409);
    expect(stored.events).toContain(quoted);
    expect(logLines.some((l) => l.includes(quoted))).toBe(true);
  });

  it('a key in a request path arrives masked in the request log line', () => {
    expect(injected.keyInPath!.status).toBe(404);
    const path = `/admin/v1/test/events/${masked(account.liveSecretKey)}`;
    expect(logLines.some((l) => l.includes(`"path":"${path}"`))).toBe(true);
  });

  it('the capture saw the whole session', () => {
    expect(responseLog.length).toBeGreaterThan(25);
    expect(logLines.length).toBeGreaterThan(15);
    expect(responseLog.some((t) => t.includes(`sk_test_…${account.testSecretKey.slice(-4)}`))).toBe(true);
  });
});

describe('no raw secret anywhere an operator or a client can read', () => {
  it('in any response (status, headers, body)', () => {
    // each entry starts with the request's own method and path, which may hold what we sent
    const responses = responseLog.map((entry) => entry.replace(/^\S+ \S+ /, ''));
    expect(responses.some((r) => r.startsWith('404 '))).toBe(true);
    expect(leaks('response', responses)).toEqual([]);
  });

  it('in any log line', () => {
    expect(leaks('log', logLines)).toEqual([]);
  });

  it('in the audit log, the events’ stored errors and payloads, or the connection rows', () => {
    expect(leaks('audit_log', [stored.audit])).toEqual([]);
    expect(leaks('webhook_events', [stored.events])).toEqual([]);
    expect(leaks('connections', [stored.connections])).toEqual([]);
  });
});
