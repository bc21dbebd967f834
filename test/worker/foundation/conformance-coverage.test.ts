/**
 * The shared conformance hook (support/openapi-conformance.ts) and the coverage allowlist hold
 * the Worker to its document only if they do refuse what breaks it: these cases feed them
 * responses that break /openapi.json in each way the hook checks, against the served document.
 */
import { describe, expect, it } from 'vitest';
import { checkConformance, type SeenResponse, servedSpec } from '../support/openapi-conformance';
import { excusedBy } from '../support/openapi-coverage-allowlist';
import { baseEnv, call, isolatedEnv } from '../support/worker';

const json = 'application/json; charset=UTF-8';
const seen = (overrides: Partial<SeenResponse>): SeenResponse => ({
  method: 'GET',
  pathname: '/healthz',
  status: 200,
  contentType: json,
  text: '{}',
  ...overrides,
});

describe('response conformance hook', () => {
  it('accepts the real answers of the Worker, and finds the operation by the mounted path', async () => {
    const spec = await servedSpec(baseEnv);
    const env = isolatedEnv();
    const health = await call(env, 'GET', '/healthz');
    const result = checkConformance(
      spec,
      seen({ status: health.status, text: health.text, contentType: health.headers.get('content-type') }),
    );
    expect(result).toEqual({ operation: expect.objectContaining({ label: 'GET /healthz' }), problem: null });
    const events = checkConformance(spec, seen({ pathname: '/admin/v1/test/events/evt_1', status: 404 }));
    expect(events.operation?.label).toBe('GET /admin/v1/{env}/events/{id}');
  });

  it('refuses a status the operation does not declare', async () => {
    const spec = await servedSpec(baseEnv);
    const { problem } = checkConformance(spec, seen({ status: 418, text: '{}' }));
    expect(problem).toMatch(/418 is not a status GET \/healthz declares/);
  });

  it('refuses a body that breaks the declared schema, naming where', async () => {
    const spec = await servedSpec(baseEnv);
    const missing = checkConformance(
      spec,
      seen({
        pathname: '/admin/v1/test/events/evt_1',
        status: 404,
        text: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'x' } }),
      }),
    );
    expect(missing.problem).toMatch(/requestId/);
    const wrongCode = checkConformance(
      spec,
      seen({
        pathname: '/admin/v1/test/events/evt_1',
        status: 404,
        text: JSON.stringify({ error: { code: 'CONFLICT', message: 'x', requestId: 'r' } }),
      }),
    );
    expect(wrongCode.problem).toMatch(/#\/error\/code/);
  });

  it('refuses a declared JSON body sent as something else, and a body that is not JSON', async () => {
    const spec = await servedSpec(baseEnv);
    expect(checkConformance(spec, seen({ contentType: 'text/plain' })).problem).toMatch(
      /content-type text\/plain/,
    );
    expect(checkConformance(spec, seen({ text: 'ok' })).problem).toMatch(/not JSON/);
  });

  it('holds a request that reaches no operation to the Error shape', async () => {
    const spec = await servedSpec(baseEnv);
    const unknown = { pathname: '/nowhere', status: 404 };
    expect(
      checkConformance(
        spec,
        seen({
          ...unknown,
          text: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'm', requestId: 'r' } }),
        }),
      ),
    ).toEqual({ operation: undefined, problem: null });
    expect(checkConformance(spec, seen({ ...unknown, text: '{"message":"nope"}' })).problem).toMatch(/Error/);
  });
});

describe('coverage allowlist', () => {
  it('excuses a 500 only where INTERNAL is its one code', () => {
    expect(excusedBy('GET /healthz 500', ['INTERNAL'])).toMatchObject({ wildcard: true });
    expect(excusedBy('POST /webhooks/stripe/{env} 500', ['PROJECTION_FAILED', 'INTERNAL'])).toBeNull();
    expect(excusedBy('GET /healthz 503', ['NOT_CONFIGURED'])).toBeNull();
  });
});
