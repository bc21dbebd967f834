/**
 * Statuses every route of /openapi.json shares, provoked for EVERY operation the Worker serves
 * (issue #10: "every route and status in /openapi.json exercised by a test"). The operations
 * come from the served document, so a route added later is covered by these cases on the day
 * it lands. Route-specific statuses (409, 502, …) are tested next to their routes; the coverage
 * check (test/worker/support/openapi-coverage-check.ts) names any pair no test reaches.
 *
 * Every case also asserts that the refused requests wrote no row.
 */
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../../setup/bindings';
import { mintUserToken } from '../support/jwt';
import { servedSpec } from '../support/openapi-conformance';
import type { Operation } from '../support/openapi-spec';
import { baseEnv, type CallOptions, call, isolatedEnv, type TestEnv, tableDigests } from '../support/worker';

const ONE_MIB = 1024 * 1024;

/** A concrete path of the operation: `{env}` → the given environment, any other parameter → a made-up id. */
function concretePath(op: Operation, environment = 'test'): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'env' ? environment : `cov_${name}_1`));
}

/** Headers that pass the operation's authentication (admin key, or a user JWT). */
async function validAuth(op: Operation): Promise<Record<string, string>> {
  if (op.adminKey) return { authorization: `Bearer ${TEST_ADMIN_KEY}` };
  if (op.userJwt) return { authorization: `Bearer ${await mintUserToken('status_coverage_user')}` };
  return {};
}

interface Probe {
  /** operations the case applies to */
  applies: (op: Operation) => boolean;
  request: (op: Operation) => Promise<{ path: string; options: CallOptions }>;
  status: number;
  code: string;
}

/**
 * Sends the probe to every operation it applies to; returns what answered otherwise. The
 * database must be the same afterwards (every probe is a refusal).
 */
async function probeAll(
  env: TestEnv,
  probe: Probe,
  { compareRows = true } = {},
): Promise<{ tried: string[]; wrong: string[] }> {
  const spec = await servedSpec(baseEnv);
  const before = compareRows ? await tableDigests(env) : {};
  const tried: string[] = [];
  const wrong: string[] = [];
  for (const op of spec.operations.filter((o) => o.statuses.has(probe.status) && probe.applies(o))) {
    const { path, options } = await probe.request(op);
    const res = await call(env, op.method, path, options);
    tried.push(op.label);
    const code = (res.json as { error?: { code?: string } } | null)?.error?.code;
    if (res.status !== probe.status || code !== probe.code)
      wrong.push(`${op.label}: ${res.status} ${code ?? res.text.slice(0, 120)}`);
  }
  if (compareRows) expect(await tableDigests(env)).toEqual(before);
  return { tried, wrong };
}

const hasBody = (op: Operation) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method);

describe('statuses every route shares, for every operation of /openapi.json', () => {
  const env = isolatedEnv();

  it('503 NOT_CONFIGURED when the Worker is misconfigured, before auth', async () => {
    // No database to compare: the configuration check refuses before any connection is made.
    const broken = isolatedEnv({ DATABASE_URL: 'not-a-postgres-url' });
    const { tried, wrong } = await probeAll(
      broken,
      {
        applies: () => true,
        request: async (op) => ({ path: concretePath(op), options: { headers: await validAuth(op) } }),
        status: 503,
        code: 'NOT_CONFIGURED',
      },
      { compareRows: false },
    );
    expect(tried.length).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('401 UNAUTHORIZED without credentials on every authenticated operation', async () => {
    const { tried, wrong } = await probeAll(env, {
      applies: (op) => op.adminKey || op.userJwt,
      request: async (op) => ({
        path: concretePath(op),
        options: hasBody(op) ? { body: {} } : {},
      }),
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(tried.length).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('403 FORBIDDEN with a wrong admin key on every admin operation', async () => {
    const { tried, wrong } = await probeAll(env, {
      applies: (op) => op.adminKey,
      request: async (op) => ({
        path: concretePath(op),
        options: { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}-wrong` } },
      }),
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(tried.length).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('400 VALIDATION_FAILED for a NUL in the query, once auth passed', async () => {
    const { tried, wrong } = await probeAll(env, {
      applies: () => true,
      request: async (op) => ({
        path: `${concretePath(op)}?probe=%00`,
        options: { headers: await validAuth(op), ...(hasBody(op) ? { body: {} } : {}) },
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(tried.length).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('404 NOT_FOUND for an environment that is neither test nor live', async () => {
    // Routes that validate a body or another path parameter first answer those with 400; their
    // unknown-environment 404 is tested with a valid request next to them (support/security.ts).
    const { tried, wrong } = await probeAll(env, {
      applies: (op) => op.path.includes('{env}') && !/\{(?!env\})/.test(op.path) && !op.body?.required,
      request: async (op) => ({
        path: concretePath(op, 'staging'),
        options: { headers: await validAuth(op), ...(hasBody(op) ? { body: {} } : {}) },
      }),
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(tried.length).toBeGreaterThan(5);
    expect(wrong).toEqual([]);
  });

  it('413 PAYLOAD_TOO_LARGE for a body over 1 MiB, once auth passed', async () => {
    const { tried, wrong } = await probeAll(env, {
      applies: hasBody,
      request: async (op) => ({
        path: concretePath(op),
        options: {
          headers: { ...(await validAuth(op)), 'content-type': 'application/json' },
          rawBody: JSON.stringify({ padding: 'x'.repeat(ONE_MIB) }),
        },
      }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(tried.length).toBeGreaterThan(3);
    expect(wrong).toEqual([]);
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON, once auth passed', async () => {
    const { tried, wrong } = await probeAll(env, {
      applies: hasBody,
      request: async (op) => ({
        path: concretePath(op),
        options: {
          headers: { ...(await validAuth(op)), 'content-type': 'text/plain' },
          rawBody: 'not json',
        },
      }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(tried.length).toBeGreaterThan(3);
    expect(wrong).toEqual([]);
  });
});
