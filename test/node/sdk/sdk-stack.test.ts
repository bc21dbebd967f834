/**
 * The built SDK (dist/sdk as `npm run build:sdk` makes it, imported as a package consumer
 * would) in Node with Node's own fetch, against the running local stack (wrangler dev + Stripe
 * emulator in push mode + local Neon endpoint on a fresh PGlite directory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { neon, neonConfig } from '@neondatabase/serverless';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdk, ROOT } from '../../../dev/build-sdk';
import { DEV_SECRETS, type LocalStack } from '../../../dev/stack';
import { startQuietStack } from '../local-stack';

type Sdk = typeof import('../../../src/sdk');

let stack: LocalStack;
let sdk: Sdk;
let pgliteDir: string;
let outdir: string;
let testKey: string;

beforeAll(async () => {
  pgliteDir = mkdtempSync(join(tmpdir(), 'paywire-sdk-pglite-'));
  // Inside the repository (.tmp-* is ignored) so the bundle resolves openapi-fetch like an install.
  outdir = join(ROOT, `.tmp-sdk-${process.pid}-${Date.now().toString(36)}`);
  [stack] = await Promise.all([startQuietStack(pgliteDir), buildSdk(outdir)]);
  sdk = (await import(pathToFileURL(join(outdir, 'index.js')).href)) as Sdk;
  testKey = stack.stripeAccounts[0]!.testSecretKey;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const admin = () => sdk.createPaywireAdminClient({ baseUrl: stack.workerUrl, adminKey: stack.adminKey });

function userToken(sub: string): Promise<string> {
  return new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(DEV_SECRETS.JWT_SECRET));
}

/** SQL on the stack's database through its local Neon endpoint. */
function sql() {
  neonConfig.fetchEndpoint = stack.neonUrl;
  return neon(DEV_SECRETS.DATABASE_URL);
}

/** A recurring price created in the emulator and projected into Paywire through pushed webhooks. */
async function projectedPrice(): Promise<string> {
  const stripe = (path: string, params: Record<string, string>) =>
    fetch(`${stack.stripeUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    }).then((r) => r.json() as Promise<{ id: string }>);
  const product = await stripe('/v1/products', { name: 'SDK plan', 'metadata[plan]': 'pro' });
  const price = await stripe('/v1/prices', {
    product: product.id,
    unit_amount: '900',
    currency: 'usd',
    'recurring[interval]': 'month',
  });
  for (let i = 0; i < 100; i++) {
    const { data } = await admin().GET('/admin/v1/{env}/prices', { params: { path: { env: 'test' } } });
    if (data?.data.some((p) => p.id === price.id)) return price.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`price ${price.id} was not projected`);
}

describe('the built bundle', () => {
  it('is one ESM module importing only openapi-fetch (no Node built-ins), with declarations', () => {
    const js = readFileSync(join(outdir, 'index.js'), 'utf8');
    const imports = [...js.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['openapi-fetch']);
    expect(js).not.toMatch(/\brequire\(|node:/);
    const dts = readFileSync(join(outdir, 'index.d.ts'), 'utf8');
    expect(dts).toContain('createPaywireClient');
    expect(dts).toContain("from './runtime-client.js'");
  });
});

describe('admin client in Node', () => {
  it('connects the test environment and configures the webhook endpoint; status shows both', async () => {
    const connected = await admin().PUT('/admin/v1/{env}/connection', {
      params: { path: { env: 'test' } },
      body: { secretKey: testKey },
    });
    expect(connected.error).toBeUndefined();
    expect(connected.data).toMatchObject({
      environment: 'test',
      maskedKey: expect.stringMatching(/^sk_test_/),
    });
    const endpoint = await admin().POST('/admin/v1/{env}/webhook-endpoint', {
      params: { path: { env: 'test' } },
      body: {},
    });
    expect(endpoint.error).toBeUndefined();
    const status = await admin().GET('/admin/v1/status');
    expect(status.data?.environments.test).toMatchObject({
      connected: true,
      webhookEndpoint: expect.anything(),
    });
    expect(JSON.stringify(status.data)).not.toContain(testKey);
  });

  it('a wrong admin key is an error (401/403), not a throw', async () => {
    const client = sdk.createPaywireAdminClient({ baseUrl: stack.workerUrl, adminKey: 'x'.repeat(32) });
    const { data, error } = await client.GET('/admin/v1/status');
    expect(data).toBeUndefined();
    expect(['UNAUTHORIZED', 'FORBIDDEN']).toContain(error?.code);
  });
});

describe('runtime client in Node', () => {
  it('creates a checkout session (row open in the database), asking getToken once per request', async () => {
    const priceId = await projectedPrice();
    const user = `sdk_node_${Date.now().toString(36)}`;
    let asked = 0;
    const paywire = sdk.createPaywireClient({
      baseUrl: stack.workerUrl,
      environment: 'test',
      getToken: () => {
        asked++;
        return userToken(user);
      },
    });
    const { data, error } = await paywire.checkout.createSession(
      {
        mode: 'subscription',
        lineItems: [{ price: priceId }],
        successUrl: 'https://app.example/ok',
        cancelUrl: 'https://app.example/cancel',
      },
      { idempotencyKey: crypto.randomUUID() },
    );
    expect(error).toBeUndefined();
    expect(data).toMatchObject({ status: 'open', url: expect.stringMatching(/^http/) });
    const rows = await sql()`select status, subject_id from paywire.checkout_sessions where id = ${data!.id}`;
    expect(rows).toEqual([{ status: 'open', subject_id: user }]);

    const page = await paywire.me.subscriptions();
    expect(page.data).toEqual({ data: [], nextCursor: null });
    expect(asked).toBe(2);
  });

  it('a refused connection is NETWORK_ERROR with the cause (ECONNREFUSED)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const paywire = sdk.createPaywireClient({
      baseUrl: `http://127.0.0.1:${port}`,
      environment: 'test',
      getToken: () => 'token',
    });
    const { data, error } = await paywire.me.entitlements();
    expect(data).toBeUndefined();
    expect(error).toMatchObject({
      status: 0,
      code: 'NETWORK_ERROR',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('a server that answers HTML is INVALID_RESPONSE with its status', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const paywire = sdk.createPaywireClient({
        baseUrl: `http://127.0.0.1:${port}`,
        environment: 'test',
        getToken: () => 'token',
      });
      const { error } = await paywire.portal.createSession({ returnUrl: 'https://app.example' });
      expect(error).toMatchObject({ status: 502, code: 'INVALID_RESPONSE' });
    } finally {
      server.close();
    }
  });
});
