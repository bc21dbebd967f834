/** CORS on the runtime API only (src/http/cors.ts): origins from PAYWIRE_ALLOWED_ORIGINS, credentials off. */
import { describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { call, isolatedEnv } from '../support/worker';

const APP = 'https://app.example';
const env = isolatedEnv({ PAYWIRE_ALLOWED_ORIGINS: `${APP}, http://localhost:5173` });

const preflight = (origin: string, path = '/v1/test/checkout-sessions', testEnv = env) =>
  call(testEnv, 'OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    },
  });

describe('CORS on /v1/*', () => {
  it('answers a preflight from an allowed origin without a token (204), credentials off', async () => {
    const res = await preflight(APP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
    const local = await preflight('http://localhost:5173', '/v1/test/me/subscriptions');
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('a preflight from another origin gets no allow headers', async () => {
    const res = await preflight('https://evil.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('responses (errors too) name the allowed origin and expose Retry-After and the request id', async () => {
    const anonymous = await call(env, 'POST', '/v1/test/checkout-sessions', {
      headers: { origin: APP },
      body: {},
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(APP);
    expect(anonymous.headers.get('access-control-expose-headers')).toContain('retry-after');
    const invalid = await call(env, 'POST', '/v1/test/checkout-sessions', {
      headers: { origin: APP, ...(await userHeaders('cors-user')) },
      body: {},
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('access-control-allow-origin')).toBe(APP);
    const other = await call(env, 'POST', '/v1/test/checkout-sessions', {
      headers: { origin: 'https://evil.example' },
      body: {},
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('admin routes send no CORS headers, preflight or not', async () => {
    const pre = await preflight(APP, '/admin/v1/status');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).not.toBe(204);
    const res = await call(env, 'GET', '/admin/v1/status', { admin: true, headers: { origin: APP } });
    expect(res.status).toBe(200);
    for (const [name] of res.headers) expect(name).not.toMatch(/^access-control-/);
  });

  it('without PAYWIRE_ALLOWED_ORIGINS no origin is allowed; "*" allows any (credentials still off)', async () => {
    const none = await preflight(
      APP,
      '/v1/test/checkout-sessions',
      isolatedEnv({ PAYWIRE_ALLOWED_ORIGINS: '' }),
    );
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    const any = await preflight(
      'https://whoever.example',
      '/v1/test/checkout-sessions',
      isolatedEnv({ PAYWIRE_ALLOWED_ORIGINS: '*' }),
    );
    expect(any.headers.get('access-control-allow-origin')).toBe('*');
    expect(any.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('a malformed PAYWIRE_ALLOWED_ORIGINS is 503 NOT_CONFIGURED naming it', async () => {
    const res = await preflight(
      APP,
      '/v1/test/checkout-sessions',
      isolatedEnv({ PAYWIRE_ALLOWED_ORIGINS: 'app.example/path' }),
    );
    expect(res.status).toBe(503);
    expect(res.json.error.message).toContain('PAYWIRE_ALLOWED_ORIGINS');
  });
});
