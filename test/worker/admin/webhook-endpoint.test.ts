import { describe, expect, it } from 'vitest';
import { decryptSecret, loadKeyring } from '../../../src/crypto/secret-box';
import { PROJECTED_EVENT_TYPES } from '../../../src/services/projection';
import { STRIPE_API_VERSION } from '../../../src/stripe/client';
import { TEST_ENCRYPTION_KEY } from '../../setup/bindings';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { call, sqlFor } from '../support/worker';
import {
  adminEnv,
  configureEndpoint,
  connect,
  control,
  listEndpoints,
  newStripeAccount,
  scanForSecrets,
  stripeApi,
  stripeDown,
} from './support';

scanForSecrets();

const account = await newStripeAccount('Webhook Endpoint Test');

async function connectionRow(env: ReturnType<typeof adminEnv>) {
  const rows = await sqlFor(env).query("select * from paywire.connections where environment = 'test'");
  return rows[0] as Record<string, any>;
}

describe('POST /admin/v1/:env/webhook-endpoint', () => {
  it('creates the managed endpoint with the projected events and pinned API version; stores its secret encrypted', async () => {
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const res = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true });
    expect(res.status).toBe(200);
    const url = `${env.PAYWIRE_PUBLIC_URL}/webhooks/stripe/test`;
    expect(res.json.endpoint).toMatchObject({
      id: expect.stringMatching(/^we_/),
      url,
      status: 'enabled',
      apiVersion: STRIPE_API_VERSION,
    });
    expect([...res.json.endpoint.enabledEvents].sort()).toEqual([...PROJECTED_EVENT_TYPES].sort());
    expect(res.json.replaced).toEqual([]);
    expect(res.text).not.toMatch(/whsec_/);

    const onStripe = (await listEndpoints(account.testSecretKey)).find((e) => e.id === res.json.endpoint.id);
    expect(onStripe).toMatchObject({
      url,
      metadata: { paywire_managed: 'true', paywire_environment: 'test' },
    });

    const row = await connectionRow(env);
    expect(row).toMatchObject({
      webhook_endpoint_id: res.json.endpoint.id,
      webhook_endpoint_url: url,
      webhook_api_version: STRIPE_API_VERSION,
    });
    expect([...row.webhook_enabled_events].sort()).toEqual([...PROJECTED_EVENT_TYPES].sort());
    const secret = await decryptSecret(
      await loadKeyring(TEST_ENCRYPTION_KEY),
      row.webhook_secret_ciphertext,
      'connections:test:webhook_secret',
    );
    const onEmulator = await control(
      account.testSecretKey,
      'GET',
      `/webhook_endpoints/${res.json.endpoint.id}/secret`,
    );
    expect(secret).toBe(onEmulator.json.secret);
    const audit = await sqlFor(env).query(
      "select details from paywire.audit_log where action = 'webhook_endpoint.configure'",
    );
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('whsec_');
  });

  it('the stored secret verifies Stripe’s deliveries: an event flows through to the read API', async () => {
    const own = await newStripeAccount('Webhook Flow');
    const env = adminEnv();
    await connect(env, 'test', own.testSecretKey);
    const { endpoint } = await configureEndpoint(env, 'test');
    const product = await stripeApi(own.testSecretKey, 'POST', '/v1/products', { name: 'Flow Plan' });
    expect(product.status).toBe(200);

    const pulled = await control(own.testSecretKey, 'POST', `/deliveries/next?endpoint=${endpoint.id}`);
    expect(pulled.status).toBe(200);
    expect(pulled.json.event_type).toBe('product.created');
    const delivered = await call(env, 'POST', '/webhooks/stripe/test', {
      rawBody: pulled.json.body,
      headers: pulled.json.headers,
    });
    expect(delivered.status, delivered.text).toBe(200);
    expect(delivered.json).toMatchObject({ status: 'processed', type: 'product.created' });

    const products = await call(env, 'GET', '/admin/v1/test/products', { admin: true });
    expect(products.json.data.map((p: { id: string }) => p.id)).toContain(product.json.id);
  });

  it('replaces the previous managed endpoint and removes it from Stripe', async () => {
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const first = await configureEndpoint(env, 'test');
    const firstSecret = (await connectionRow(env)).webhook_secret_ciphertext;
    const second = await configureEndpoint(env, 'test');
    expect(second.endpoint.id).not.toBe(first.endpoint.id);
    expect(second.replaced).toEqual([{ id: first.endpoint.id, url: first.endpoint.url, removed: true }]);
    const ids = (await listEndpoints(account.testSecretKey)).map((e) => e.id);
    expect(ids).toContain(second.endpoint.id);
    expect(ids).not.toContain(first.endpoint.id);
    const row = await connectionRow(env);
    expect(row.webhook_endpoint_id).toBe(second.endpoint.id);
    expect(row.webhook_secret_ciphertext).not.toBe(firstSecret);
  });

  it('lists endpoints it does not manage and leaves them alone', async () => {
    const own = await newStripeAccount('Unmanaged');
    const handMade = await stripeApi(own.testSecretKey, 'POST', '/v1/webhook_endpoints', {
      url: 'https://elsewhere.example.com/hook',
      'enabled_events[0]': 'customer.created',
    });
    expect(handMade.status).toBe(200);
    const otherDeployment = await stripeApi(own.testSecretKey, 'POST', '/v1/webhook_endpoints', {
      url: 'https://staging.example.com/webhooks/stripe/test',
      'enabled_events[0]': 'customer.created',
      'metadata[paywire_managed]': 'true',
    });
    const env = adminEnv();
    await connect(env, 'test', own.testSecretKey);
    const result = await configureEndpoint(env, 'test');
    expect(result.unmanaged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: handMade.json.id,
          url: 'https://elsewhere.example.com/hook',
          paywireManaged: false,
        }),
        expect.objectContaining({ id: otherDeployment.json.id, paywireManaged: true }),
      ]),
    );
    expect(result.replaced).toEqual([]);
    const ids = (await listEndpoints(own.testSecretKey)).map((e) => e.id);
    expect(ids).toEqual(
      expect.arrayContaining([handMade.json.id, otherDeployment.json.id, result.endpoint.id]),
    );
  });

  it('removes a stale Paywire endpoint for the same URL (left by an earlier failed attempt)', async () => {
    const own = await newStripeAccount('Stale');
    const env = adminEnv();
    const stale = await stripeApi(own.testSecretKey, 'POST', '/v1/webhook_endpoints', {
      url: `${env.PAYWIRE_PUBLIC_URL}/webhooks/stripe/test`,
      'enabled_events[0]': 'customer.created',
      'metadata[paywire_managed]': 'true',
    });
    await connect(env, 'test', own.testSecretKey);
    const result = await configureEndpoint(env, 'test');
    expect(result.replaced).toEqual([expect.objectContaining({ id: stale.json.id, removed: true })]);
    expect((await listEndpoints(own.testSecretKey)).map((e) => e.id)).toEqual([result.endpoint.id]);
  });

  it('uses the request origin when PAYWIRE_PUBLIC_URL is empty, and an explicit url when given', async () => {
    const env = adminEnv({ PAYWIRE_PUBLIC_URL: '' });
    await connect(env, 'test', account.testSecretKey);
    const fromOrigin = await configureEndpoint(env, 'test');
    expect(fromOrigin.endpoint.url).toBe('http://paywire.test/webhooks/stripe/test');
    const host = `h${Date.now().toString(36)}.example.com`;
    const explicit = await configureEndpoint(env, 'test', { url: `https://${host}/pay/` });
    expect(explicit.endpoint.url).toBe(`https://${host}/pay/webhooks/stripe/test`);
    const local = await configureEndpoint(env, 'test', { url: 'http://127.0.0.1:8787/webhooks/stripe/test' });
    expect(local.endpoint.url).toBe('http://127.0.0.1:8787/webhooks/stripe/test');
  });

  it('rejects a url that is not https (or local http), with credentials or a query', async () => {
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const before = (await listEndpoints(account.testSecretKey)).length;
    for (const url of [
      'http://pay.example.com',
      'ftp://pay.example.com',
      'https://u:p@pay.example.com',
      'https://pay.example.com/?a=1',
      'nope',
    ]) {
      const res = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true, body: { url } });
      expect(res.status, url).toBe(400);
      expectErrorShape(res.json, 'VALIDATION_FAILED');
    }
    expect((await listEndpoints(account.testSecretKey)).length).toBe(before);
    expect((await connectionRow(env)).webhook_endpoint_id).toBeNull();
  });

  it('answers 409 NOT_CONNECTED when the environment has no Stripe key', async () => {
    const env = adminEnv();
    const res = await call(env, 'POST', '/admin/v1/live/webhook-endpoint', { admin: true });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
  });

  it('answers 502 when Stripe is down and changes nothing', async () => {
    const own = await newStripeAccount('Endpoint Down');
    const env = adminEnv();
    await connect(env, 'test', own.testSecretKey);
    const restore = await stripeDown(own.testSecretKey, '/v1/webhook_endpoints', 'POST');
    try {
      const res = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true });
      expect(res.status).toBe(502);
      expectErrorShape(res.json, 'STRIPE_UNAVAILABLE');
      expect((await connectionRow(env)).webhook_endpoint_id).toBeNull();
    } finally {
      await restore();
    }
    expect(await listEndpoints(own.testSecretKey)).toEqual([]);
  });
});

runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/webhook-endpoint', body: {} });
