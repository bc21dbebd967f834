import { describe, expect, it } from 'vitest';
import { bearer, mintUserToken, unsignedToken, userHeaders } from '../support/jwt';
import { expectErrorShape } from '../support/security';
import { call, isolatedEnv } from '../support/worker';

describe('runtime auth (smoke)', () => {
  const env = isolatedEnv();
  it('401 without a token; a valid token passes auth', async () => {
    const res = await call(env, 'GET', '/v1/test/nothing-here');
    expect(res.status).toBe(401);
    expectErrorShape(res.json, 'UNAUTHORIZED');
    const ok = await call(env, 'GET', '/v1/test/nothing-here', { headers: await userHeaders('u1') });
    expect(ok.status).toBe(404);
    const none = await call(env, 'GET', '/v1/test/nothing-here', { headers: bearer(unsignedToken('u1')) });
    expect(none.status).toBe(401);
    const expired = await call(env, 'GET', '/v1/test/x', {
      headers: bearer(await mintUserToken('u1', { expiresIn: -120 })),
    });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toContain('expired');
  });
});
