/**
 * Helpers for the admin route tests: Stripe emulator accounts of their own (so parallel test
 * files never share endpoints or faults), direct Stripe/emulator calls, and projection seeds.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import * as schema from '../../../drizzle/schema';
import { setLogSink } from '../../../src/logger';
import { baseEnv, call, dbFor, isolatedEnv, responseLog, sqlFor, type TestEnv } from '../support/worker';

export interface EmulatorAccount {
  accountId: string;
  name: string;
  testSecretKey: string;
  liveSecretKey: string;
}

const stripeBase = () => baseEnv.STRIPE_API_BASE;

/** Every Stripe key handed out to this test file (scanned for by `scanForSecrets`). */
const issuedKeys: string[] = [];

/** A fresh emulator account (its own test and live books). */
export async function newStripeAccount(label = 'Paywire Admin Test'): Promise<EmulatorAccount> {
  const res = await fetch(`${stripeBase()}/_emulator/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: label }),
  });
  expect(res.status).toBe(200);
  const a = (await res.json()) as {
    account_id: string;
    name: string;
    test_secret_key: string;
    live_secret_key: string;
  };
  issuedKeys.push(a.test_secret_key, a.live_secret_key);
  return {
    accountId: a.account_id,
    name: a.name,
    testSecretKey: a.test_secret_key,
    liveSecretKey: a.live_secret_key,
  };
}

/**
 * For a whole test file: captures every log line, and after the last test checks that no
 * response (see responseLog) and no log line contains a Stripe key issued to the file or any
 * webhook signing secret.
 */
export function scanForSecrets(): { logLines: string[] } {
  const logLines: string[] = [];
  let previous: Parameters<typeof setLogSink>[0] | undefined;
  beforeAll(() => {
    previous = setLogSink((line, level) => {
      logLines.push(line);
      if (level === 'error') previous?.(line, level);
    });
  });
  afterAll(() => {
    if (previous) setLogSink(previous);
    expect(responseLog.length).toBeGreaterThan(0);
    for (const text of [...responseLog, ...logLines]) {
      for (const key of issuedKeys)
        expect(text.includes(key), `secret in: ${text.slice(0, 300)}`).toBe(false);
      expect(/whsec_[A-Za-z0-9]/.test(text), `webhook secret in: ${text.slice(0, 300)}`).toBe(false);
    }
  });
  return { logLines };
}

let hostCounter = 0;
/** An isolated database and a public URL of its own (webhook endpoint URLs never collide). */
export function adminEnv(overrides: Partial<TestEnv> = {}): TestEnv {
  const host = `w${Date.now().toString(36)}${(hostCounter++).toString(36)}.paywire.test`;
  return isolatedEnv({ PAYWIRE_PUBLIC_URL: `https://${host}`, ...overrides });
}

export async function connect(env: TestEnv, environment: 'test' | 'live', secretKey: string) {
  const res = await call(env, 'PUT', `/admin/v1/${environment}/connection`, {
    admin: true,
    body: { secretKey },
  });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

export async function configureEndpoint(env: TestEnv, environment: 'test' | 'live', body: unknown = {}) {
  const res = await call(env, 'POST', `/admin/v1/${environment}/webhook-endpoint`, { admin: true, body });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** A Stripe API call straight to the emulator (form encoded, like stripe-node). */
export async function stripeApi(
  key: string,
  method: string,
  path: string,
  params: Record<string, string> = {},
) {
  const body = method === 'GET' ? undefined : new URLSearchParams(params).toString();
  const query = method === 'GET' && Object.keys(params).length ? `?${new URLSearchParams(params)}` : '';
  const res = await fetch(`${stripeBase()}${path}${query}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as any };
}

export async function listEndpoints(
  key: string,
): Promise<Array<{ id: string; url: string; metadata: Record<string, string> }>> {
  const res = await stripeApi(key, 'GET', '/v1/webhook_endpoints', { limit: '100' });
  expect(res.status).toBe(200);
  return res.json.data;
}

/** Emulator control API call scoped to the key's account and mode. */
export async function control(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stripeBase()}/_emulator${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: res.status === 204 ? null : ((await res.json()) as any) };
}

/**
 * Makes every request of this account+mode whose path starts with `path` fail (default 500, no
 * retries), optionally with Stripe's error message set to `message`.
 */
export async function stripeDown(
  key: string,
  path: string,
  method?: string,
  options: { status?: number; message?: string } = {},
): Promise<() => Promise<void>> {
  const res = await control(key, 'POST', '/faults', {
    path,
    status: options.status ?? 500,
    should_retry: false,
    ...(method ? { method } : {}),
    ...(options.message ? { message: options.message } : {}),
  });
  expect(res.status).toBe(200);
  const id = res.json.id as string;
  return async () => {
    await control(key, 'DELETE', `/faults/${id}`);
  };
}

// ---------------------------------------------------------------------------------------------
// Projection seeds (rows as the projection writes them; the read API only reads columns)

let seq = 0;
const uid = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(seq++).toString(36)}seed`;

export interface Seeded {
  productId: string;
  priceId: string;
  customerId: string;
  subscriptionId: string;
  itemId: string;
  paymentId: string;
  eventId: string;
}

/** One row in every mirrored table of `environment` (plus webhook_events). */
export async function seedMirror(env: TestEnv, environment: 'test' | 'live', tag = ''): Promise<Seeded> {
  const db = dbFor(env);
  const s: Seeded = {
    productId: uid('prod'),
    priceId: uid('price'),
    customerId: uid('cus'),
    subscriptionId: uid('sub'),
    itemId: uid('si'),
    paymentId: uid('pi'),
    eventId: uid('evt'),
  };
  const subject = { subjectType: 'user', subjectId: `u${tag || seq}` };
  await db.batch([
    db
      .insert(schema.products)
      .values({ environment, stripeProductId: s.productId, name: `Plan ${tag}`, active: true, raw: {} }),
    db.insert(schema.prices).values({
      environment,
      stripePriceId: s.priceId,
      stripeProductId: s.productId,
      active: true,
      currency: 'usd',
      unitAmount: 900,
      type: 'recurring',
      recurringInterval: 'month',
      recurringIntervalCount: 1,
      lookupKey: `lk_${tag}`,
      raw: {},
    }),
    db
      .insert(schema.customers)
      .values({ environment, stripeCustomerId: s.customerId, email: `${tag || 'x'}@example.com`, raw: {} }),
    db
      .insert(schema.customerMappings)
      .values({ environment, ...subject, stripeCustomerId: s.customerId, source: 'paywire' }),
    db.insert(schema.subscriptions).values({
      environment,
      stripeSubscriptionId: s.subscriptionId,
      stripeCustomerId: s.customerId,
      status: 'active',
      stripePriceId: s.priceId,
      currentPeriodEnd: new Date('2030-01-01T00:00:00Z'),
      raw: {},
    }),
    db.insert(schema.subscriptionItems).values({
      environment,
      stripeSubscriptionItemId: s.itemId,
      stripeSubscriptionId: s.subscriptionId,
      stripePriceId: s.priceId,
      stripeProductId: s.productId,
      quantity: 1,
      raw: {},
    }),
    db.insert(schema.paymentHistory).values({
      environment,
      kind: 'payment_intent',
      stripeObjectId: s.paymentId,
      stripeCustomerId: s.customerId,
      amount: 900,
      currency: 'usd',
      status: 'succeeded',
      occurredAt: new Date(),
      raw: {},
    }),
    db
      .insert(schema.checkoutSessions)
      .values({ environment, mode: 'payment', ...subject, idempotencyKey: uid('idem') }),
    db.insert(schema.portalSessions).values({ environment, ...subject, createdBy: subject.subjectId }),
    db.insert(schema.webhookEvents).values({
      environment,
      stripeEventId: s.eventId,
      type: 'product.created',
      livemode: environment === 'live',
      stripeCreated: Math.floor(Date.now() / 1000),
      processingStatus: 'processed',
      payload: { id: s.eventId },
    }),
  ]);
  return s;
}

export const MIRROR_TABLES = [
  'products',
  'prices',
  'customers',
  'customer_mappings',
  'subscriptions',
  'subscription_items',
  'payment_history',
  'checkout_sessions',
  'portal_sessions',
  'webhook_events',
] as const;

/** Rows per mirrored table of one environment. */
export async function mirrorCounts(
  env: TestEnv,
  environment: 'test' | 'live',
): Promise<Record<string, number>> {
  const rows = (await sqlFor(env).query(
    MIRROR_TABLES.map(
      (t) => `select '${t}' as t, count(*)::int as n from paywire.${t} where environment = '${environment}'`,
    ).join(' union all '),
  )) as Array<{ t: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

export { call, dbFor };

/** A restricted key (rk_<mode>_…) of the account behind `secretKey`, with these permissions. */
export async function restrictedKey(
  secretKey: string,
  permissions: Record<string, 'read' | 'write'>,
): Promise<string> {
  const res = await control(secretKey, 'POST', '/restricted_keys', { permissions });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  issuedKeys.push(res.json.key);
  return res.json.key as string;
}
