import { describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { expectErrorShape } from '../support/security';
import { postEvent, signatureFor, WEBHOOK_SECRET_TEST, withWebhookSecrets } from '../support/webhooks';
import { call, isolatedEnv, rowCounts, tableDigests, totalRows } from '../support/worker';

describe('POST /webhooks/stripe/:env rejects what Stripe did not send, and writes nothing', () => {
  const env = withWebhookSecrets(isolatedEnv());
  const product = objects.product();
  const good = event('product.created', product, { created: Math.floor(Date.now() / 1000) });

  /** Sends the delivery and requires the rejection, with no row of any table written or changed. */
  async function expectRejected(
    send: () => Promise<{ status: number; json: unknown }>,
    status: number,
    code: string,
  ) {
    const before = await tableDigests(env);
    const res = await send();
    expect(res.status).toBe(status);
    expectErrorShape(res.json, code);
    expect(await tableDigests(env)).toEqual(before);
  }

  it('missing Stripe-Signature header → 400', async () => {
    await expectRejected(() => postEvent(env, good, { signature: null }), 400, 'INVALID_SIGNATURE');
  });

  it('signature made with another secret → 400', async () => {
    await expectRejected(
      () => postEvent(env, good, { secret: 'whsec_not_ours_000000000000' }),
      400,
      'INVALID_SIGNATURE',
    );
  });

  it('tampered body (signature of the original) → 400', async () => {
    const payload = JSON.stringify(good);
    const signature = await signatureFor(payload, WEBHOOK_SECRET_TEST);
    const tampered = payload.replace('"active":true', '"active":false');
    expect(tampered).not.toBe(payload);
    await expectRejected(() => postEvent(env, tampered, { signature }), 400, 'INVALID_SIGNATURE');
  });

  it('expired timestamp (older than the 5 minute tolerance) → 400', async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    await expectRejected(() => postEvent(env, good, { timestamp: old }), 400, 'INVALID_SIGNATURE');
  });

  it('garbage in the signature header → 400', async () => {
    await expectRejected(() => postEvent(env, good, { signature: 't=abc,v1=zzz' }), 400, 'INVALID_SIGNATURE');
  });

  it('a live event sent to the test endpoint → 400 LIVEMODE_MISMATCH', async () => {
    const live = event('product.created', objects.product({ livemode: true }), {
      created: good.created,
      livemode: true,
    });
    await expectRejected(() => postEvent(env, live), 400, 'LIVEMODE_MISMATCH');
  });

  it('a test event sent to the live endpoint → 400 LIVEMODE_MISMATCH', async () => {
    await expectRejected(() => postEvent(env, good, { environment: 'live' }), 400, 'LIVEMODE_MISMATCH');
  });

  it('unknown environment → 404', async () => {
    await expectRejected(
      () => call(env, 'POST', '/webhooks/stripe/staging', { rawBody: JSON.stringify(good) }),
      404,
      'NOT_FOUND',
    );
  });

  it('body over 1 MiB → 413', async () => {
    const huge = JSON.stringify({ ...good, padding: 'x'.repeat(1024 * 1024 + 10) });
    await expectRejected(() => postEvent(env, huge), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('no signing secret configured at all → 503 (Stripe keeps retrying), nothing written', async () => {
    const bare = isolatedEnv();
    const res = await postEvent(bare, good);
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'NOT_CONFIGURED');
    expect(totalRows(await rowCounts(bare))).toBe(0);
  });

  it('the same event correctly signed is accepted (the rejections were for cause)', async () => {
    const before = await rowCounts(env);
    const res = await postEvent(env, good);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ received: true, eventId: good.id, status: 'processed' });
    const after = await rowCounts(env);
    expect(after.webhook_events).toBe(before.webhook_events! + 1);
    expect(after.products).toBe(before.products! + 1);
  });
});
