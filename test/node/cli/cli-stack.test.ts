/**
 * The built `paywire` binary against the real local stack (wrangler dev + Stripe emulator in
 * push mode + local Neon endpoint on a fresh PGlite directory): output, --json shapes and exit
 * codes of every command, and no secret in anything it prints.
 *
 * The stack is shared (starting it takes seconds), so each test first puts it in the state it
 * needs through the admin API (connected or not, endpoint or not, an event received) and
 * passes alone or in any order; what the stack looked like before anything was connected is
 * captured once in beforeAll. Every command's output is checked for secrets as it is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../dev/stack';
import { startQuietStack } from '../local-stack';
import { buildCliOnce, type CliResult, runCli, transcript } from './support';

let stack: LocalStack;
let pgliteDir: string;
let env: Record<string, string>;
let testKey: string;
let liveKey: string;
/** `status` as the freshly started stack answered it (json, then human) */
let initialStatus: [CliResult, CliResult];

beforeAll(async () => {
  pgliteDir = mkdtempSync(join(tmpdir(), 'paywire-cli-pglite-'));
  [stack] = await Promise.all([startQuietStack(pgliteDir), buildCliOnce()]);
  env = {
    PAYWIRE_URL: stack.workerUrl,
    PAYWIRE_ADMIN_KEY: stack.adminKey,
    PAYWIRE_STRIPE_URL: stack.stripeUrl,
  };
  testKey = stack.stripeAccounts[0]!.testSecretKey;
  liveKey = stack.stripeAccounts[0]!.liveSecretKey;
  initialStatus = [await cli(['status', '--json']), await cli(['status'])];
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
});

/** Runs the CLI; whatever it printed must hold no secret (keys, admin key, any whsec_ value). */
async function cli(args: string[], extra: { input?: string; env?: Record<string, string> } = {}) {
  const r = await runCli(args, { env: { ...env, ...extra.env }, input: extra.input });
  const printed = `${r.stdout}\n${r.stderr}`;
  for (const [name, secret] of Object.entries({ testKey, liveKey, adminKey: stack.adminKey }))
    expect(printed.includes(secret), `paywire ${args[0]} printed ${name}: ${printed.slice(0, 300)}`).toBe(
      false,
    );
  expect(/whsec_[A-Za-z0-9]/.test(printed), `paywire ${args[0]} printed a whsec_ value`).toBe(false);
  return r;
}

/** The admin API of the stack's Worker, for putting it in the state a test needs. */
async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const state = {
  async disconnected(environment: 'test' | 'live') {
    const r = await admin('DELETE', `/admin/v1/${environment}/connection?force=true`);
    expect([200, 409], JSON.stringify(r.json)).toContain(r.status);
  },
  async connected(environment: 'test' | 'live') {
    const secretKey = environment === 'test' ? testKey : liveKey;
    const r = await admin('PUT', `/admin/v1/${environment}/connection`, { secretKey });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
  },
  /** test connected with a managed endpoint pointing at the Worker */
  async receivingWebhooks() {
    await state.connected('test');
    const status = await admin('GET', '/admin/v1/status');
    if (!status.json.environments.test.webhookEndpoint) {
      const r = await admin('POST', '/admin/v1/test/webhook-endpoint', {});
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    }
  },
  /** at least one test event received (a customer created on the emulator, pushed to the Worker) */
  async eventReceived() {
    await state.receivingWebhooks();
    const res = await fetch(`${stack.stripeUrl}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=cli-state%40example.com',
    });
    expect(res.status).toBe(200);
    const status = await eventually(
      () => admin('GET', '/admin/v1/status'),
      (r) => r.json.environments.test.events.lastEventId !== null,
    );
    expect(status.json.environments.test.events.lastEventId).toEqual(expect.stringMatching(/^evt_/));
  },
};

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await fn();
  }
  return last;
}

describe('paywire against the local stack', () => {
  it('status --json before anything is connected', () => {
    const [r, human] = initialStatus;
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      stripeApiVersion: expect.any(String),
      environments: { test: { connected: false, account: null }, live: { connected: false } },
    });
    expect(human.stdout).toMatch(/test\s+not connected/);
    expect(human.stdout).toMatch(/connect with: paywire config set test/);
  });

  it('a wrong admin key exits 3 with the API error', async () => {
    const r = await cli(['status', '--json'], { env: { PAYWIRE_ADMIN_KEY: 'wrong-admin-key-0000000000' } });
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ error: { code: 'FORBIDDEN', requestId: expect.stringMatching(/^req_/) } });
    expect(r.stderr).toMatch(/Invalid admin key \[FORBIDDEN, HTTP 403, req_\w+\] \(check PAYWIRE_ADMIN_KEY/);
  });

  it('config set: Stripe’s reason for a bad key (exit 1), the other environment’s key (exit 1)', async () => {
    const bad = await cli(['config', 'set', 'test', 'sk_test_NotAKeyStripeKnows0000000000']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid API Key provided.*\[INVALID_STRIPE_KEY, HTTP 400/);
    const other = await cli(['config', 'set', 'live', testKey, '--json']);
    expect(other.code).toBe(1);
    expect(other.json.error.code).toBe('KEY_ENVIRONMENT_MISMATCH');
  });

  it('config set test --key-stdin connects and prints only the masked key', async () => {
    await state.disconnected('test');
    const r = await cli(['config', 'set', 'test', '--key-stdin'], { input: `${testKey}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Connected test to ${stack.stripeAccounts[0]!.accountId}`);
    expect(r.stdout).toContain(`sk_test_…${testKey.slice(-4)}`);
    expect(r.stdout).toMatch(/Next: paywire webhooks configure test/);
  });

  it('config set live <key> --json prints the API JSON', async () => {
    await state.disconnected('live');
    const r = await cli(['config', 'set', 'live', liveKey, '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      environment: 'live',
      accountId: stack.stripeAccounts[0]!.accountId,
      maskedKey: `sk_live_…${liveKey.slice(-4)}`,
      keyKind: 'secret',
      accountChanged: false,
      syncRequested: true,
    });
    expect(Object.keys(r.json).sort()).toEqual(
      [
        'accountChanged',
        'accountId',
        'accountName',
        'connectedAt',
        'environment',
        'keyKind',
        'maskedKey',
        'previousAccountId',
        'previousWebhookEndpoint',
        'syncRequested',
        'webhookEndpoint',
      ].sort(),
    );
  });

  it('webhooks configure test points the endpoint at the Worker', async () => {
    await state.disconnected('test'); // removes any managed endpoint
    await state.connected('test');
    const r = await cli(['webhooks', 'configure', 'test', '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      environment: 'test',
      endpoint: {
        id: expect.stringMatching(/^we_/),
        url: `${stack.workerUrl}/webhooks/stripe/test`,
        status: 'enabled',
      },
      replaced: [],
      unmanaged: [],
    });
    const again = await cli(['webhooks', 'configure', 'test']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`Webhook endpoint we_\\w+ → ${stack.workerUrl}/webhooks/stripe/test`),
    );
    expect(again.stdout).toContain(`Replaced and removed ${r.json.endpoint.id}`);
  });

  it('dev trigger runs a flow whose webhooks reach the Worker; catalog, subscriptions, history and events show it', async () => {
    await state.receivingWebhooks();
    const t = await cli(['dev', 'trigger', 'checkout.subscription', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const subscriptionId = t.json.objects.subscription as string;
    expect(subscriptionId).toMatch(/^sub_/);

    const subs = await eventually(
      () => cli(['subscriptions', '--json']),
      // deliveries arrive in any order: wait until the subscription's latest state is projected
      (r) =>
        r.json?.data?.some(
          (s: { id: string; status: string }) => s.id === subscriptionId && s.status === 'active',
        ),
    );
    expect(subs.code).toBe(0);
    expect(subs.json).toMatchObject({
      data: [expect.objectContaining({ id: subscriptionId, status: 'active' })],
      nextCursor: null,
    });
    const subsTable = await cli(['subscriptions']);
    expect(subsTable.stdout).toMatch(/^ID\s+STATUS\s+CUSTOMER\s+SUBJECT\s+PRICE\s+PERIOD END$/m);
    expect(subsTable.stdout).toContain(subscriptionId);

    const catalog = await eventually(
      () => cli(['catalog', '--json']),
      (r) => r.json?.prices?.data?.length > 0,
    );
    expect(catalog.json).toEqual({
      products: {
        data: [expect.objectContaining({ id: expect.stringMatching(/^prod_/) })],
        nextCursor: null,
      },
      prices: {
        data: [expect.objectContaining({ id: expect.stringMatching(/^price_/), type: 'recurring' })],
        nextCursor: null,
      },
    });
    const catalogTable = await cli(['catalog']);
    expect(catalogTable.stdout).toMatch(/USD \d+\.\d\d \/ month/);

    const history = await eventually(
      () => cli(['history', '--json']),
      (r) => r.json?.data?.length >= 2,
    );
    expect(history.json.data.map((p: { kind: string }) => p.kind).sort()).toEqual(
      expect.arrayContaining(['invoice', 'payment_intent']),
    );
    expect(
      (await cli(['history', '--kind', 'invoice', '--json'])).json.data.every(
        (p: { kind: string }) => p.kind === 'invoice',
      ),
    ).toBe(true);

    const events = await cli(['events', 'list', '--json', '--limit', '2']);
    expect(events.code).toBe(0);
    expect(events.json.data).toHaveLength(2);
    expect(events.json.nextCursor).toEqual(expect.any(String));
    const all = await cli(['events', 'list', '--all', '--json']);
    expect(all.json.nextCursor).toBeNull();
    expect(all.json.data.length).toBeGreaterThan(2);
    const table = await cli(['events', 'list', '--limit', '2']);
    expect(table.stderr).toMatch(/More rows: add --cursor \S+ \(or --all\)/);

    const id = events.json.data[0].id as string;
    const show = await cli(['events', 'show', id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`id:\\s+${id}`));
    expect(show.stdout).toContain('"object": "event"');
    const showJson = await cli(['events', 'show', id, '--json']);
    expect(showJson.json).toMatchObject({ id, status: 'processed', payload: { id } });

    const retry = await cli(['events', 'retry', id]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/already processed.*\[CONFLICT, HTTP 409/);
    const missing = await cli(['events', 'show', 'evt_doesnotexist', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json.error.code).toBe('NOT_FOUND');
    const failed = await cli(['events', 'retry', '--failed', '--json']);
    expect(failed.code).toBe(0);
    expect(failed.json).toEqual({ attempted: 0, processed: 0, failed: 0, remaining: 0, results: [] });
  });

  it('status shows both environments in a readable form', async () => {
    await state.eventReceived();
    await state.connected('live');
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^test\s+connected$/m);
    expect(r.stdout).toMatch(/key:\s+sk_test_…\w{4} \(secret\)/);
    expect(r.stdout).toMatch(new RegExp(`webhook:\\s+we_\\w+ ${stack.workerUrl}/webhooks/stripe/test`));
    expect(r.stdout).toMatch(/last event:\s+\S+ evt_\w+, \d+s ago/);
    expect(r.stdout).toMatch(/^live\s+connected$/m);
  });

  it('encryption rotate reports what it did', async () => {
    // three stored secrets: both keys and the test endpoint's signing secret
    await state.receivingWebhooks();
    await state.connected('live');
    const r = await cli(['encryption', 'rotate', '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ activeVersion: 1, reencrypted: 0, alreadyCurrent: 3, failed: [] });
  });

  it('config remove test --yes disconnects and removes the endpoint', async () => {
    await state.receivingWebhooks();
    const r = await cli(['config', 'remove', 'test', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Disconnected test \(was acct_\w+\)\.\nRemoved webhook endpoint we_\w+\./);
    const status = await cli(['status', '--json']);
    expect(status.json.environments.test).toMatchObject({
      connected: false,
      maskedKey: null,
      webhookEndpoint: null,
    });
    const again = await cli(['config', 'remove', 'test', '--yes', '--json']);
    expect(again.code).toBe(1);
    expect(again.json.error.code).toBe('NOT_CONNECTED');
  });

  it('never printed a secret (each output is checked as it is printed; this one prints the most)', async () => {
    await state.receivingWebhooks();
    await state.connected('live');
    for (const args of [['status'], ['status', '--json'], ['webhooks', 'configure', 'test', '--json']]) {
      expect((await cli(args)).code, args.join(' ')).toBe(0);
    }
    expect(transcript.length).toBeGreaterThanOrEqual(3);
  });
});
