/**
 * Secrets never leave the Worker: runs an end-to-end admin sequence (connect, configure the
 * webhook endpoint, deliver a signed event, status, audit, reads, rotation, errors, disconnect)
 * while capturing every response and every log line, then scans them (and the audit log) for
 * the raw Stripe keys and the webhook signing secret. The search covers the raw values, so
 * masked forms (sk_test_…abcd) are allowed; any whsec_ value at all is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../../src/logger';
import { call, responseLog, sqlFor } from '../support/worker';
import { adminEnv, connect, control, newStripeAccount, stripeApi, stripeDown } from './support';

const logLines: string[] = [];
let restoreSink: (() => void) | undefined;

beforeAll(() => {
  const previous = setLogSink((line) => {
    logLines.push(line);
  });
  restoreSink = () => setLogSink(previous);
});
afterAll(() => restoreSink?.());

describe('no secret in any response, log line or audit entry', () => {
  it('holds for a full admin session, its errors included', async () => {
    const account = await newStripeAccount('Secret Scan');
    const other = await newStripeAccount('Secret Scan Other');
    const env = adminEnv({ LOG_LEVEL: 'debug' });
    const admin = { admin: true };

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
    const webhookSecret = secretInfo.secret as string;
    expect(webhookSecret).toMatch(/^whsec_/);

    // A signed delivery, a bad signature, and a replay through the events routes.
    await stripeApi(account.testSecretKey, 'POST', '/v1/customers', { email: 'scan@example.com' });
    const pulled = await control(account.testSecretKey, 'POST', `/deliveries/next?endpoint=${endpointId}`);
    expect(
      (
        await call(env, 'POST', '/webhooks/stripe/test', {
          rawBody: pulled.json.body,
          headers: pulled.json.headers,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(env, 'POST', '/webhooks/stripe/test', {
          rawBody: pulled.json.body,
          headers: { 'stripe-signature': 't=1,v1=00' },
        })
      ).status,
    ).toBe(400);

    for (const path of [
      '/admin/v1/status',
      '/admin/v1/audit',
      '/admin/v1/test/products',
      '/admin/v1/test/prices',
      '/admin/v1/test/customers',
      '/admin/v1/test/subscriptions',
      '/admin/v1/test/payments',
      '/admin/v1/test/events',
      `/admin/v1/test/events/${pulled.json.event_id}`,
    ]) {
      expect((await call(env, 'GET', path, admin)).status, path).toBe(200);
    }

    // Errors: other environment's key, unknown key, Stripe down (its error names the key's account).
    expect(
      (
        await call(env, 'PUT', '/admin/v1/test/connection', {
          ...admin,
          body: { secretKey: account.liveSecretKey },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(env, 'PUT', '/admin/v1/live/connection', {
          ...admin,
          body: { secretKey: `${account.liveSecretKey}x` },
        })
      ).status,
    ).toBe(400);
    const restore = await stripeDown(other.testSecretKey, '/v1/account');
    expect(
      (
        await call(env, 'PUT', '/admin/v1/test/connection', {
          ...admin,
          body: { secretKey: other.testSecretKey },
        })
      ).status,
    ).toBe(502);
    await restore();
    expect(
      (await call(env, 'PUT', '/admin/v1/test/connection', { body: { secretKey: account.testSecretKey } }))
        .status,
    ).toBe(401);
    expect((await call(env, 'POST', '/admin/v1/encryption/rotate', admin)).status).toBe(200);
    expect((await call(env, 'DELETE', '/admin/v1/test/connection', admin)).status).toBe(200);

    const audit = JSON.stringify(await sqlFor(env).query('select * from paywire.audit_log'));
    const secrets = [account.testSecretKey, account.liveSecretKey, other.testSecretKey, webhookSecret];
    const haystacks = { responses: responseLog, logLines, audit: [audit] };
    expect(responseLog.length).toBeGreaterThan(15);
    expect(logLines.length).toBeGreaterThan(15);
    for (const [where, texts] of Object.entries(haystacks)) {
      for (const text of texts) {
        for (const secret of secrets)
          expect(text.includes(secret), `${where} contains a secret: ${text.slice(0, 200)}`).toBe(false);
        expect(
          /whsec_[A-Za-z0-9]/.test(text),
          `${where} contains a whsec_ value: ${text.slice(0, 200)}`,
        ).toBe(false);
      }
    }
    // The scan would see them: masked keys do show up where expected.
    expect(responseLog.some((t) => t.includes(`sk_test_…${account.testSecretKey.slice(-4)}`))).toBe(true);
  });
});
