/**
 * End-user authentication of /v1/* (src/auth/jwt.ts, src/auth/user.ts), through the Worker. A
 * path no route serves answers 404 once the token is accepted, 401 when it is not, so these
 * cases need no database rows. The JWKS is served by a fetch stub in the test isolate (an auth
 * server cannot run in workerd); see test/worker/support/jwt.ts.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../../src/auth/jwt';
import { TEST_JWT_SECRET } from '../../setup/bindings';
import {
  bearer,
  createTestKeySet,
  mintUserToken,
  serveJwks,
  unsignedToken,
  userHeaders,
} from '../support/jwt';
import { expectErrorShape } from '../support/security';
import { call, isolatedEnv, type TestEnv } from '../support/worker';

const PROBE = '/v1/test/auth-probe';
const env = isolatedEnv();

async function probe(testEnv: TestEnv, headers: Record<string, string>) {
  return call(testEnv, 'GET', PROBE, { headers });
}

async function expectAccepted(testEnv: TestEnv, headers: Record<string, string>) {
  const res = await probe(testEnv, headers);
  expect(res.status, res.text).toBe(404);
}

async function expectRejected(testEnv: TestEnv, headers: Record<string, string>, reason?: string) {
  const res = await probe(testEnv, headers);
  expect(res.status, res.text).toBe(401);
  expectErrorShape(res.json, 'UNAUTHORIZED');
  if (reason) expect(res.json.error.message).toContain(reason);
  const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
  if (token) expect(res.text).not.toContain(token);
}

describe('HS256 (JWT_SECRET)', () => {
  it('accepts a valid token; refuses a missing or malformed Authorization header', async () => {
    await expectAccepted(env, await userHeaders('u1'));
    await expectRejected(env, {}, 'Missing');
    await expectRejected(env, { authorization: 'Bearer' });
    await expectRejected(env, { authorization: 'Basic dTpw' });
  });

  it(`clock skew: 30 s tolerated on exp and nbf, more is not`, async () => {
    await expectAccepted(env, bearer(await mintUserToken('u1', { expiresIn: -10 })));
    await expectRejected(env, bearer(await mintUserToken('u1', { expiresIn: -45 })), 'expired');
    await expectAccepted(env, bearer(await mintUserToken('u1', { notBefore: 10 })));
    await expectRejected(env, bearer(await mintUserToken('u1', { notBefore: 60 })), 'not yet valid');
  });

  it('refuses wrong key, alg none, wrong issuer/audience, missing exp or sub', async () => {
    await expectRejected(env, bearer(await mintUserToken('u1', { secret: 'x'.repeat(40) })), 'bad signature');
    await expectRejected(env, bearer(unsignedToken('u1')));
    await expectRejected(env, bearer(await mintUserToken('u1', { audience: 'other' })), 'audience');
    await expectRejected(env, bearer(await mintUserToken('u1', { issuer: 'https://other' })), 'issuer');
    await expectRejected(env, bearer(await mintUserToken('u1', { audience: null })), 'aud');
    await expectRejected(env, bearer(await mintUserToken('u1', { noExpiry: true })), 'exp');
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://auth.paywire.test')
      .setAudience('paywire-test')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    await expectRejected(env, bearer(noSub), 'sub');
    const hs512 = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuer('https://auth.paywire.test')
      .setAudience('paywire-test')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    await expectRejected(env, bearer(hs512), 'algorithm');
  });

  it('paywire_subjects must be an array of "type:id" strings', async () => {
    await expectAccepted(env, await userHeaders('u1', { subjects: ['team:acme', 'org:o-1'] }));
    await expectRejected(env, bearer(await mintUserToken('u1', {}, { paywire_subjects: 'team:acme' })));
    await expectRejected(env, bearer(await mintUserToken('u1', {}, { paywire_subjects: ['acme'] })));
    await expectRejected(env, bearer(await mintUserToken('u1', {}, { paywire_subjects: [42] })));
  });

  it('authenticates before validation: an anonymous invalid body is 401, not 400', async () => {
    const res = await call(env, 'POST', '/v1/test/checkout-sessions', { body: { mode: 'nonsense' } });
    expect(res.status).toBe(401);
    const preflightless = await call(env, 'POST', '/v1/test/checkout-sessions', {
      rawBody: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(preflightless.status).toBe(401);
  });

  it('without JWT_SECRET and JWT_JWKS_URL the runtime API is 503 NOT_CONFIGURED; admin routes still work', async () => {
    const unconfigured = isolatedEnv({ JWT_SECRET: '', JWT_JWKS_URL: '' });
    const res = await probe(unconfigured, await userHeaders('u1'));
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'NOT_CONFIGURED');
    expect(res.json.error.message).toContain('JWT_SECRET');
    const anonymous = await probe(unconfigured, {});
    expect(anonymous.status).toBe(503);
    const admin = await call(unconfigured, 'GET', '/admin/v1/status', { admin: true });
    expect(admin.status).toBe(200);
  });
});

describe('JWKS (JWT_JWKS_URL)', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  const jwksUrl = () => `https://auth-${crypto.randomUUID().slice(0, 8)}.example/.well-known/jwks.json`;

  it('verifies RS256 from the key set, fetched once and cached per isolate', async () => {
    const keys = await createTestKeySet();
    const url = jwksUrl();
    const served = serveJwks(url, () => keys.jwks);
    restore = served.restore;
    const jwksEnv = isolatedEnv({ JWT_JWKS_URL: url });
    await expectAccepted(jwksEnv, bearer(await keys.mint('u1')));
    await expectAccepted(jwksEnv, bearer(await keys.mint('u2')));
    expect(served.fetches).toBe(1);
  });

  it('an HS256 token (even with the configured secret) is refused when JWKS is configured', async () => {
    const keys = await createTestKeySet();
    const url = jwksUrl();
    restore = serveJwks(url, () => keys.jwks).restore;
    const jwksEnv = isolatedEnv({ JWT_JWKS_URL: url });
    await expectRejected(jwksEnv, bearer(await mintUserToken('u1')), 'algorithm');
    await expectRejected(jwksEnv, bearer(unsignedToken('u1')));
  });

  it('refetches on an unknown kid after the cooldown (key rotation); a kid the set lacks stays refused', async () => {
    const oldKeys = await createTestKeySet('old');
    const newKeys = await createTestKeySet('new');
    let published = oldKeys.jwks;
    const url = jwksUrl();
    const served = serveJwks(url, () => published);
    restore = served.restore;
    const jwksEnv = isolatedEnv({ JWT_JWKS_URL: url });
    await expectAccepted(jwksEnv, bearer(await oldKeys.mint('u1')));
    expect(served.fetches).toBe(1);
    published = { keys: [...oldKeys.jwks.keys, ...newKeys.jwks.keys] };
    // Within the cooldown after a fetch, an unknown kid is refused without fetching again …
    await expectRejected(jwksEnv, bearer(await newKeys.mint('u1')), 'no key');
    expect(served.fetches).toBe(1);
    // … after it, the unknown kid makes the Worker fetch the set again and the new key works.
    await new Promise((resolve) => setTimeout(resolve, JWKS_REFETCH_COOLDOWN_MS + 200));
    await expectAccepted(jwksEnv, bearer(await newKeys.mint('u1')));
    expect(served.fetches).toBe(2);
    const stranger = await createTestKeySet('stranger');
    await expectRejected(jwksEnv, bearer(await stranger.mint('u1')));
    await expectRejected(jwksEnv, bearer(await stranger.mint('u2')));
    expect(served.fetches).toBe(2);
  });
});
