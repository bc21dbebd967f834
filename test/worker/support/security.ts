/**
 * Shared security cases, run for every admin route: no key → 401, wrong key → 403, unknown
 * environment → 404, all in the one error shape, each checked to leave every row of every
 * paywire table as it found it. Optional cases:
 * a Stripe key of the other environment (routes that take one) and environment isolation
 * (rows of one environment never show up under the other).
 */
import { describe, expect, it } from 'vitest';
import { call, isolatedEnv, type TestEnv, tableDigests } from './worker';

export interface RouteUnderTest {
  method: string;
  /** path with {env} where the environment goes, e.g. /admin/v1/{env}/events */
  path: string;
  body?: unknown;
  /**
   * Routes that take a Stripe key: the body carrying a key of `keyEnvironment`. The helper sends
   * the live key to the test path and the test key to the live path and expects 400
   * KEY_ENVIRONMENT_MISMATCH with nothing written.
   */
  bodyWithKeyOf?: (keyEnvironment: 'test' | 'live') => unknown;
  /**
   * Environment-scoped reads: `seed` writes rows into the test environment and returns the ids
   * the route should list; `ids` extracts ids from a response. The test path must list them, the
   * live path must not.
   */
  isolation?: { seed: (testEnv: TestEnv) => Promise<string[]>; ids: (json: any) => string[] };
}

export function expectErrorShape(json: unknown, code: string) {
  expect(json).toMatchObject({ error: { code, message: expect.any(String), requestId: expect.any(String) } });
}

/** Runs `request` and requires that it inserted, changed and deleted no row of any paywire table. */
async function expectNothingWritten<T>(env: TestEnv, request: () => Promise<T>): Promise<T> {
  const before = await tableDigests(env);
  const result = await request();
  expect(await tableDigests(env)).toEqual(before);
  return result;
}

export function runAdminSecurityTests(route: RouteUnderTest) {
  const label = `${route.method} ${route.path}`;
  describe(`security: ${label}`, () => {
    // One database for the route's cases; each case compares the tables before and after
    // itself, so the cases hold in any order (the isolation case seeds rows into it).
    const testEnv = isolatedEnv();
    const path = route.path.replace('{env}', 'test');

    it('rejects a request without the admin key (401) and writes nothing', async () => {
      const res = await expectNothingWritten(testEnv, () =>
        call(testEnv, route.method, path, { body: route.body }),
      );
      expect(res.status).toBe(401);
      expectErrorShape(res.json, 'UNAUTHORIZED');
    });

    it('rejects a wrong admin key (403) and writes nothing', async () => {
      const res = await expectNothingWritten(testEnv, () =>
        call(testEnv, route.method, path, {
          body: route.body,
          headers: { authorization: 'Bearer not-the-admin-key-0000000000' },
        }),
      );
      expect(res.status).toBe(403);
      expectErrorShape(res.json, 'FORBIDDEN');
    });

    it('rejects a non-bearer authorization header (403) and writes nothing', async () => {
      const res = await expectNothingWritten(testEnv, () =>
        call(testEnv, route.method, path, {
          body: route.body,
          headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
        }),
      );
      expect(res.status).toBe(403);
      expectErrorShape(res.json, 'FORBIDDEN');
    });

    const { bodyWithKeyOf, isolation } = route;
    if (bodyWithKeyOf) {
      for (const [pathEnv, keyEnv] of [
        ['test', 'live'],
        ['live', 'test'],
      ] as const) {
        it(`rejects a ${keyEnv} key on the ${pathEnv} environment (400) and writes nothing`, async () => {
          const res = await expectNothingWritten(testEnv, () =>
            call(testEnv, route.method, route.path.replace('{env}', pathEnv), {
              body: bodyWithKeyOf(keyEnv),
              admin: true,
            }),
          );
          expect(res.status).toBe(400);
          expectErrorShape(res.json, 'KEY_ENVIRONMENT_MISMATCH');
        });
      }
    }

    if (isolation) {
      it('lists rows of its own environment only', async () => {
        const env = testEnv;
        const seeded = await isolation.seed(env);
        expect(seeded.length).toBeGreaterThan(0);
        const own = await call(env, route.method, route.path.replace('{env}', 'test'), { admin: true });
        expect(own.status).toBe(200);
        expect(isolation.ids(own.json)).toEqual(expect.arrayContaining(seeded));
        const other = await call(env, route.method, route.path.replace('{env}', 'live'), { admin: true });
        expect(other.status).toBe(200);
        expect(isolation.ids(other.json).filter((id) => seeded.includes(id))).toEqual([]);
      });
    }

    if (route.path.includes('{env}')) {
      it('answers 404 for an unknown environment and writes nothing', async () => {
        const res = await expectNothingWritten(testEnv, () =>
          call(testEnv, route.method, route.path.replace('{env}', 'staging'), {
            body: route.body,
            admin: true,
          }),
        );
        expect(res.status).toBe(404);
        expectErrorShape(res.json, 'NOT_FOUND');
      });
    }
  });
}
