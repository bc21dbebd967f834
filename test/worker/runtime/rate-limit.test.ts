/**
 * Rate limits on session creation (src/http/rate-limit.ts) with the Workers Rate Limiting
 * bindings of wrangler.toml, which miniflare runs locally: RATE_LIMIT_USER 20 / 60 s per user,
 * RATE_LIMIT_IP 60 / 60 s per CF-Connecting-IP. Invalid bodies are counted too (the limit runs
 * before the body is read), so these cases need no Stripe.
 */
import { describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { freshUser } from '../support/runtime-stack';
import { expectErrorShape } from '../support/security';
import { call, isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();
const invalid = { mode: 'payment' };

async function post(path: string, headers: Record<string, string>) {
  return call(env, 'POST', path, { body: invalid, headers });
}

describe('session creation rate limits', () => {
  it('per user: the 21st request within a minute is 429 with Retry-After; other users are not limited', async () => {
    const user = freshUser();
    const headers = await userHeaders(user);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await post('/v1/test/checkout-sessions', headers)).status);
    expect(statuses.every((s) => s === 400)).toBe(true);
    const limited = await post('/v1/test/checkout-sessions', headers);
    expect(limited.status).toBe(429);
    expectErrorShape(limited.json, 'RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.json.error.details).toMatchObject({ scope: 'user', retryAfterSeconds: 60 });
    // the same user's portal requests share the budget
    expect((await post('/v1/test/customer-portal-sessions', headers)).status).toBe(429);
    expect((await post('/v1/test/checkout-sessions', await userHeaders(freshUser()))).status).toBe(400);
    const rows = await sqlFor(env)`select count(*)::int as n from paywire.checkout_sessions`;
    expect(rows[0]!.n).toBe(0);
  });

  it('per IP: the 61st request from one address is 429 whoever sends it', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    for (let i = 0; i < 60; i++) {
      const res = await post('/v1/test/checkout-sessions', {
        ...(await userHeaders(freshUser())),
        'cf-connecting-ip': ip,
      });
      expect(res.status).toBe(400);
    }
    const limited = await post('/v1/test/checkout-sessions', {
      ...(await userHeaders(freshUser())),
      'cf-connecting-ip': ip,
    });
    expect(limited.status).toBe(429);
    expect(limited.json.error.details).toMatchObject({ scope: 'ip' });
    expect(limited.headers.get('retry-after')).toBe('60');
  });

  it('reads (/me) are not limited by the session budget', async () => {
    const user = freshUser();
    const headers = await userHeaders(user);
    for (let i = 0; i < 21; i++) await post('/v1/test/checkout-sessions', headers);
    const me = await call(env, 'GET', '/v1/test/me/subscriptions', { headers });
    expect(me.status).toBe(200);
  });
});
