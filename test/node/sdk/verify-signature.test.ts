/**
 * verifyPaywireSignature (src/sdk/verify-signature.ts) under Node: headers signed here with
 * node:crypto (an independent HMAC implementation) as the Worker signs them (Stripe's scheme).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyPaywireSignature } from '../../../src/sdk/verify-signature';

const SECRET = 'whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const OTHER = 'whsec_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210';
const NOW = 1_800_000_000;
const body = JSON.stringify({
  id: '42',
  type: 'payment.succeeded',
  environment: 'test',
  created: NOW - 5,
  subject: { type: 'user', id: 'u1' },
  stripe_event_id: 'evt_1',
  data: { amount: 1000, note: 'héllo ✓' },
});
const v1 = (secret: string, t: number, payload = body) =>
  createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');

describe('verifyPaywireSignature', () => {
  it('accepts a valid signature and returns the envelope', async () => {
    const result = await verifyPaywireSignature({
      payload: body,
      header: `t=${NOW},v1=${v1(SECRET, NOW)}`,
      secret: SECRET,
      now: NOW,
    });
    expect(result.error).toBeUndefined();
    expect(result.data).toMatchObject({
      id: '42',
      type: 'payment.succeeded',
      subject: { type: 'user', id: 'u1' },
    });
  });

  it('rejects a tampered body, a changed timestamp, and the wrong secret', async () => {
    const header = `t=${NOW},v1=${v1(SECRET, NOW)}`;
    const cases = [
      { payload: body.replace('1000', '1001'), header, secret: SECRET },
      { payload: body, header: header.replace(`t=${NOW}`, `t=${NOW - 1}`), secret: SECRET },
      { payload: body, header, secret: OTHER },
    ];
    for (const c of cases) {
      const result = await verifyPaywireSignature({ ...c, now: NOW });
      expect(result.data).toBeUndefined();
      expect(result.error?.code).toBe('SIGNATURE_MISMATCH');
    }
  });

  it('refuses timestamps outside the tolerance (default 300 s, configurable) even when signed', async () => {
    const old = NOW - 301;
    const header = `t=${old},v1=${v1(SECRET, old)}`;
    expect(
      (await verifyPaywireSignature({ payload: body, header, secret: SECRET, now: NOW })).error?.code,
    ).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    const future = NOW + 301;
    expect(
      (
        await verifyPaywireSignature({
          payload: body,
          header: `t=${future},v1=${v1(SECRET, future)}`,
          secret: SECRET,
          now: NOW,
        })
      ).error?.code,
    ).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    expect(
      (
        await verifyPaywireSignature({
          payload: body,
          header,
          secret: SECRET,
          now: NOW,
          toleranceSeconds: 600,
        })
      ).error,
    ).toBeUndefined();
  });

  it('secret rotation: any of several v1 signatures, against any of several secrets', async () => {
    const both = `t=${NOW},v1=${v1(OTHER, NOW)},v1=${v1(SECRET, NOW)}`;
    expect(
      (await verifyPaywireSignature({ payload: body, header: both, secret: SECRET, now: NOW })).error,
    ).toBeUndefined();
    const signedWithOld = `t=${NOW},v1=${v1(OTHER, NOW)}`;
    expect(
      (
        await verifyPaywireSignature({
          payload: body,
          header: signedWithOld,
          secret: [SECRET, OTHER],
          now: NOW,
        })
      ).error,
    ).toBeUndefined();
    expect(
      (await verifyPaywireSignature({ payload: body, header: signedWithOld, secret: [SECRET], now: NOW }))
        .error?.code,
    ).toBe('SIGNATURE_MISMATCH');
  });

  it('names a missing or malformed header, and a signed body that is not a Paywire message', async () => {
    const check = async (header: string | undefined, payload = body) =>
      (await verifyPaywireSignature({ payload, header, secret: SECRET, now: NOW })).error?.code;
    expect(await check(undefined)).toBe('MISSING_SIGNATURE');
    expect(await check('')).toBe('MISSING_SIGNATURE');
    expect(await check(`v1=${v1(SECRET, NOW)}`)).toBe('MALFORMED_SIGNATURE');
    expect(await check(`t=${NOW}`)).toBe('MALFORMED_SIGNATURE');
    expect(await check(`t=${NOW},v1=zz`)).toBe('MALFORMED_SIGNATURE');
    expect(await check(`t=${NOW},v0=${v1(SECRET, NOW)}`)).toBe('MALFORMED_SIGNATURE');
    const notJson = 'hello';
    expect(await check(`t=${NOW},v1=${v1(SECRET, NOW, notJson)}`, notJson)).toBe('INVALID_PAYLOAD');
    const notEnvelope = '{"hello":1}';
    expect(await check(`t=${NOW},v1=${v1(SECRET, NOW, notEnvelope)}`, notEnvelope)).toBe('INVALID_PAYLOAD');
  });

  it('never throws on hostile input', async () => {
    for (const header of ['t=,v1=', ',,,', 't=1e3,v1=00', `t=${'9'.repeat(400)},v1=${'a'.repeat(64)}`, '=']) {
      const result = await verifyPaywireSignature({ payload: body, header, secret: SECRET, now: NOW });
      expect(result.error).toBeDefined();
    }
  });
});
