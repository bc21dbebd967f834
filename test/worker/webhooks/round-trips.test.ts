/**
 * The hot path costs one Neon HTTP request per event. The signing secrets are read once per
 * isolate and, when they get old, reloaded after the response (ctx.waitUntil); when they are
 * very old, reloaded before verifying. Counted at the local Neon endpoint.
 *
 * Where the reload happens is made visible by breaking it: the only signing secret is the
 * managed endpoint's, stored encrypted on the connection row, and a test corrupts that
 * ciphertext once the cache is warm. A reload after the response then fails in a log line
 * while the delivery is answered 200 from the cache; a reload before verifying fails the
 * delivery; no reload at all would answer 200 with no Neon request and no log line.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encryptSecret, loadKeyring } from '../../../src/crypto/secret-box';
import { setLogSink } from '../../../src/logger';
import { TEST_ENCRYPTION_KEY } from '../../setup/bindings';
import { event, objects } from '../../shared/stripe-events';
import { neonControl } from '../support/neon';
import { expectErrorShape } from '../support/security';
import { postEvent } from '../support/webhooks';
import { type CallResult, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

/** the managed endpoint's signing secret; the env carries no STRIPE_WEBHOOK_SECRET_* at all */
const ENDPOINT_SECRET = 'whsec_roundtrip_0123456789abcdefghijklmnopqrstuvwxyz';
const MINUTE = 60_000;

/** A database whose test connection holds ENDPOINT_SECRET, encrypted as the Worker stores it. */
async function connectedEnv(): Promise<TestEnv> {
  const env = isolatedEnv();
  expect(env.STRIPE_WEBHOOK_SECRET_TEST ?? '').toBe('');
  const keyring = await loadKeyring(TEST_ENCRYPTION_KEY);
  const ciphertext = await encryptSecret(keyring, ENDPOINT_SECRET, 'connections:test:webhook_secret');
  await sqlFor(env).query(
    `insert into paywire.connections (environment, account_id, secret_key_masked, webhook_endpoint_id, webhook_secret_ciphertext)
     values ('test', 'acct_roundtrips', 'sk_test_…0000', 'we_roundtrips', $1)`,
    [ciphertext],
  );
  return env;
}

/** Makes the stored secret undecryptable (its last characters changed), as a broken row would be. */
async function corruptStoredSecret(env: TestEnv) {
  await sqlFor(env).query(
    `update paywire.connections set webhook_secret_ciphertext =
       left(webhook_secret_ciphertext, -3) || case when right(webhook_secret_ciphertext, 3) = 'AAA' then 'BBB' else 'AAA' end
     where environment = 'test'`,
  );
}

interface Delivery {
  res: CallResult;
  /** Neon requests the delivery cost, deferred work included (the harness awaits waitUntil) */
  requests: number;
  /** promises handed to ctx.waitUntil */
  deferred: number;
  eventId: string;
}

async function deliver(env: TestEnv): Promise<Delivery> {
  const neon = neonControl(env);
  const before = await neon.requests();
  const e = event('product.created', objects.product({ updated: 1_790_000_000 }), { created: 1_790_000_000 });
  let deferred = 0;
  const res = await postEvent(env, e, {
    secret: ENDPOINT_SECRET,
    onWaitUntil: () => {
      deferred++;
    },
  });
  return { res, requests: (await neon.requests()) - before, deferred, eventId: e.id };
}

let logLines: string[] = [];
let restoreSink: (() => void) | undefined;
beforeEach(() => {
  logLines = [];
  const previous = setLogSink((line) => {
    logLines.push(line);
  });
  restoreSink = () => setLogSink(previous);
});
afterEach(() => {
  restoreSink?.();
  vi.restoreAllMocks();
});

const refreshFailures = () => logLines.filter((l) => l.includes('signing secret refresh failed'));
const at = (ms: number) => vi.spyOn(Date, 'now').mockReturnValue(ms);

describe('Neon requests per delivered event', () => {
  it('cold isolate: 2 (signing secrets + batch); then exactly 1 per event, nothing deferred', async () => {
    const env = await connectedEnv();
    const first = await deliver(env);
    expect(first.res.status).toBe(200);
    expect(first.requests).toBe(2);
    for (let i = 0; i < 5; i++) {
      const next = await deliver(env);
      expect(next.res.status).toBe(200);
      expect(next).toMatchObject({ requests: 1, deferred: 0 });
    }
  });
});

describe('aging signing secrets', () => {
  it('older than a minute: answered from the cache, reloaded after the response (a failed reload is only logged)', async () => {
    const env = await connectedEnv();
    const t0 = Date.now();
    at(t0);
    expect((await deliver(env)).res.status).toBe(200); // warms the cache at t0
    await corruptStoredSecret(env);

    // Still fresh at +59 s: no reload, so the corruption is not even seen.
    at(t0 + 59_000);
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 1, deferred: 0 });
    expect(refreshFailures()).toEqual([]);

    // +61 s: the delivery is verified with the cached secret (a reload before verifying would
    // have failed it); the reload runs in waitUntil, costs one request and fails in the log.
    at(t0 + 61_000);
    const stale = await deliver(env);
    expect(stale.res.status).toBe(200);
    expect(stale.res.json).toMatchObject({ status: 'processed' });
    expect(stale).toMatchObject({ requests: 2, deferred: 1 });
    expect(refreshFailures()).toHaveLength(1);
    expect(JSON.parse(refreshFailures()[0]!)).toMatchObject({ level: 'warn', environment: 'test' });

    // A failed reload is tried again by the next stale delivery.
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 2, deferred: 1 });
    expect(refreshFailures()).toHaveLength(2);
  });

  it('older than a minute: a successful reload after the response makes the next event cost 1 again', async () => {
    const env = await connectedEnv();
    const t0 = Date.now();
    at(t0);
    expect((await deliver(env)).requests).toBe(2);
    at(t0 + 61_000);
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 2, deferred: 1 });
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 1, deferred: 0 });
    expect(refreshFailures()).toEqual([]);
  });

  it('older than ten minutes: reloaded before verifying, so a broken stored secret fails the delivery', async () => {
    const env = await connectedEnv();
    const t0 = Date.now();
    at(t0);
    expect((await deliver(env)).res.status).toBe(200);
    await corruptStoredSecret(env);

    at(t0 + 12 * MINUTE);
    const expired = await deliver(env);
    expect(expired.res.status).toBe(500);
    expectErrorShape(expired.res.json, 'INTERNAL');
    expect(expired.deferred).toBe(0);
    const rows = await sqlFor(
      env,
    )`select 1 from paywire.webhook_events where stripe_event_id = ${expired.eventId}`;
    expect(rows).toEqual([]);
  });

  it('older than ten minutes: the inline reload costs one request, then the next event costs 1', async () => {
    const env = await connectedEnv();
    const t0 = Date.now();
    at(t0);
    expect((await deliver(env)).requests).toBe(2);
    at(t0 + 12 * MINUTE);
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 2, deferred: 0 });
    expect(await deliver(env)).toMatchObject({ res: { status: 200 }, requests: 1, deferred: 0 });
  });
});
