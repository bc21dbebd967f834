import { describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { expectErrorShape } from '../support/security';
import { call, databaseName, isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();

describe('GET /healthz', () => {
  it('reaches Postgres through the Neon driver', async () => {
    const res = await call(env, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', database: { latencyMs: expect.any(Number) } });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('answers 503 in the error shape when the database endpoint is down', async () => {
    const control = new URL(env.NEON_FETCH_ENDPOINT).origin;
    const toggle = (on: boolean) =>
      fetch(`${control}/_neon/outage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ on, database: databaseName(env) }),
      });
    await toggle(true);
    try {
      const res = await call(env, 'GET', '/healthz');
      expect(res.status).toBe(503);
      expectErrorShape(res.json, 'DB_UNAVAILABLE');
    } finally {
      await toggle(false);
    }
    expect((await call(env, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers 503 when nothing listens at the endpoint at all', async () => {
    const res = await call({ ...env, NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql' }, 'GET', '/healthz');
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'DB_UNAVAILABLE');
  });

  it('echoes a well-formed x-request-id into the error shape', async () => {
    const res = await call(env, 'GET', '/nope', { headers: { 'x-request-id': 'trace-123' } });
    expect((res.json as { error: { requestId: string } }).error.requestId).toBe('trace-123');
  });
});

describe('error shape', () => {
  it('unknown routes are 404 in the error shape; under /v1 authentication runs first (401 without a token)', async () => {
    const outside = await call(env, 'GET', '/does-not-exist');
    expect(outside.status).toBe(404);
    expectErrorShape(outside.json, 'NOT_FOUND');
    // the /v1/* JWT middleware answers before routing for the whole group
    const anonymous = await call(env, 'GET', '/v1/does-not-exist');
    expect(anonymous.status).toBe(401);
    expectErrorShape(anonymous.json, 'UNAUTHORIZED');
    const signedIn = await call(env, 'GET', '/v1/does-not-exist', {
      headers: await userHeaders('user_http_404'),
    });
    expect(signedIn.status).toBe(404);
    expectErrorShape(signedIn.json, 'NOT_FOUND');
  });

  it('wrong method on a known path is 405 in the error shape, with Allow', async () => {
    const res = await call(env, 'DELETE', '/healthz');
    expect(res.status).toBe(405);
    expectErrorShape(res.json, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('GET');
  });
});

describe('OpenAPI', () => {
  it('serves a 3.1 document generated from the route schemas', async () => {
    const res = await call(env, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/webhooks/stripe/{env}',
        '/admin/v1/{env}/events',
        '/admin/v1/{env}/events/{id}/retry',
      ]),
    );
    expect(doc.components.schemas).toHaveProperty('Error');
  });

  it('renders the docs page', async () => {
    const res = await call(env, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('/openapi.json');
  });
});

describe('invalid JSON', () => {
  it('a malformed JSON body is 400 in the error shape, and nothing is written', async () => {
    const res = await call(env, 'PUT', '/admin/v1/test/connection', {
      admin: true,
      rawBody: '{"secretKey": "sk_test_',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'INVALID_JSON');
    const sql = sqlFor(env);
    expect(await sql`select count(*)::int as n from paywire.connections`).toEqual([{ n: 0 }]);
  });

  it('a JSON body of the wrong shape is 400 VALIDATION_FAILED with the offending field', async () => {
    const res = await call(env, 'PUT', '/admin/v1/test/connection', { admin: true, body: { secretKey: 42 } });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'VALIDATION_FAILED');
    expect(JSON.stringify(res.json)).toContain('secretKey');
  });
});
