/**
 * Helpers for the catalog write tests: a connected environment on an emulator account of its
 * own, a probe that counts Stripe calls, and reads of projection rows and emulator objects.
 */
import { expect } from 'vitest';
import { adminEnv, connect, control, newStripeAccount, stripeApi } from '../admin/support';
import { withWebhookSecrets } from '../support/webhooks';
import { type CallResult, call, sqlFor, type TestEnv } from '../support/worker';

export interface CatalogStack {
  env: TestEnv;
  key: string;
  liveKey: string;
}

/** An isolated database with `test` (and optionally `live`) connected to a fresh emulator account. */
export async function connectedStack(options: { live?: boolean } = {}): Promise<CatalogStack> {
  const account = await newStripeAccount('Catalog Test');
  const env = withWebhookSecrets(adminEnv());
  await connect(env, 'test', account.testSecretKey);
  if (options.live) await connect(env, 'live', account.liveSecretKey);
  return { env, key: account.testSecretKey, liveKey: account.liveSecretKey };
}

/** An admin call with an optional Idempotency-Key. */
export function adminCall(
  stack: CatalogStack,
  method: string,
  path: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<CallResult<any>> {
  return call(stack.env, method, path, {
    admin: true,
    body,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
}

/**
 * Counts the Stripe requests of this account+mode whose path matches `path` (a regular
 * expression when it starts with ^): an emulator fault with no status and no delay only
 * counts its hits.
 */
export async function stripeCallCounter(key: string, path: string, method = 'POST') {
  const res = await control(key, 'POST', '/faults', { path, method, latency_ms: 0 });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  const id = res.json.id as string;
  return {
    async hits(): Promise<number> {
      const list = await control(key, 'GET', '/faults');
      return (list.json.data as Array<{ id: string; hits: number }>).find((f) => f.id === id)?.hits ?? -1;
    },
    async remove() {
      await control(key, 'DELETE', `/faults/${id}`);
    },
  };
}

export async function productRow(env: TestEnv, id: string, environment = 'test') {
  const rows = await sqlFor(env).query(
    'select * from paywire.products where environment = $1 and stripe_product_id = $2',
    [environment, id],
  );
  return rows[0] as Record<string, any> | undefined;
}

export async function priceRow(env: TestEnv, id: string, environment = 'test') {
  const rows = await sqlFor(env).query(
    'select * from paywire.prices where environment = $1 and stripe_price_id = $2',
    [environment, id],
  );
  return rows[0] as Record<string, any> | undefined;
}

export async function auditActions(env: TestEnv, target: string): Promise<string[]> {
  const rows = (await sqlFor(env).query(
    'select action from paywire.audit_log where target = $1 order by id',
    [target],
  )) as Array<{ action: string }>;
  return rows.map((r) => r.action);
}

export async function stripeObject(key: string, path: string) {
  const res = await stripeApi(key, 'GET', path);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

/** The emulator's events about one object, oldest first. */
export async function eventsFor(key: string, objectId: string, type?: string) {
  const res = await stripeApi(key, 'GET', '/v1/events', { limit: '100', ...(type ? { type } : {}) });
  expect(res.status).toBe(200);
  return (res.json.data as Array<{ id: string; type: string; data: { object: { id: string } } }>)
    .filter((e) => e.data.object.id === objectId)
    .reverse();
}
