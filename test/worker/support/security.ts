/**
 * Shared security cases, run for every admin route: no key → 401, wrong key → 403, unknown
 * environment → 404, all in the one error shape and without writing anything.
 */
import { describe, expect, it } from 'vitest';
import { call, isolatedEnv, rowCounts, totalRows } from './worker';

export interface RouteUnderTest {
  method: string;
  /** path with {env} where the environment goes, e.g. /admin/v1/{env}/events */
  path: string;
  body?: unknown;
}

export function expectErrorShape(json: unknown, code: string) {
  expect(json).toMatchObject({ error: { code, message: expect.any(String), requestId: expect.any(String) } });
}

export function runAdminSecurityTests(route: RouteUnderTest) {
  const label = `${route.method} ${route.path}`;
  describe(`security: ${label}`, () => {
    const testEnv = isolatedEnv();
    const path = route.path.replace('{env}', 'test');

    it('rejects a request without the admin key (401) and writes nothing', async () => {
      const res = await call(testEnv, route.method, path, { body: route.body });
      expect(res.status).toBe(401);
      expectErrorShape(res.json, 'UNAUTHORIZED');
      expect(totalRows(await rowCounts(testEnv))).toBe(0);
    });

    it('rejects a wrong admin key (403)', async () => {
      const res = await call(testEnv, route.method, path, {
        body: route.body,
        headers: { authorization: 'Bearer not-the-admin-key-0000000000' },
      });
      expect(res.status).toBe(403);
      expectErrorShape(res.json, 'FORBIDDEN');
    });

    it('rejects a non-bearer authorization header (403)', async () => {
      const res = await call(testEnv, route.method, path, {
        body: route.body,
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      });
      expect(res.status).toBe(403);
      expectErrorShape(res.json, 'FORBIDDEN');
    });

    if (route.path.includes('{env}')) {
      it('answers 404 for an unknown environment', async () => {
        const res = await call(testEnv, route.method, route.path.replace('{env}', 'staging'), {
          body: route.body,
          admin: true,
        });
        expect(res.status).toBe(404);
        expectErrorShape(res.json, 'NOT_FOUND');
      });
    }
  });
}
