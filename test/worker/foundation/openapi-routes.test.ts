/**
 * The one-shape refactor (issue #13) changed how routes are declared, not what they are: the
 * OpenAPI document has the same paths and methods as before it, and each operation's statuses
 * are the ones it had plus exactly the ones hardening (issue #9) documents on purpose.
 * `openapi-routes-before-refactor.json` was written from the document of the commit before the
 * refactor (method + path → response statuses).
 */
import { describe, expect, it } from 'vitest';
import before from '../../fixtures/openapi-routes-before-refactor.json';
import { baseEnv, call } from '../support/worker';

type Operation = { responses: Record<string, { content?: { 'application/json'?: { schema?: unknown } } }> };

async function operations(): Promise<Record<string, Operation>> {
  const res = await call<{ paths: Record<string, Record<string, Operation>> }>(
    baseEnv,
    'GET',
    '/openapi.json',
  );
  expect(res.status).toBe(200);
  const out: Record<string, Operation> = {};
  for (const [path, ops] of Object.entries(res.json.paths)) {
    for (const [method, op] of Object.entries(ops)) out[`${method.toUpperCase()} ${path}`] = op;
  }
  return out;
}

/** What hardening added to every operation's documented statuses, and why. */
function expectedAdditions(key: string): string[] {
  const added = ['500']; // INTERNAL: a bug, on any route, in the documented shape
  const admin = key.includes(' /admin/v1/');
  if (admin || key.startsWith('POST /webhooks/')) added.push('400'); // NUL in the path or query
  if (admin && !key.startsWith('GET ')) added.push('413', '415'); // byte-counted body limit, JSON only
  return added;
}

describe('OpenAPI document across the refactor', () => {
  it('keeps every operation it had before (later issues only add operations)', async () => {
    const now = Object.keys(await operations());
    expect(Object.keys(before).filter((key) => !now.includes(key))).toEqual([]);
  });

  it("keeps every operation's statuses, adding only the documented hardening ones", async () => {
    const ops = await operations();
    for (const [key, statuses] of Object.entries(before as Record<string, string[]>)) {
      const expected = [...new Set([...statuses, ...expectedAdditions(key)])].sort();
      expect({ key, statuses: Object.keys(ops[key]!.responses).sort() }).toEqual({ key, statuses: expected });
    }
  });

  it('lists, per error status, only the codes that status carries', async () => {
    const ops = await operations();
    const listRoute = ops['GET /admin/v1/{env}/products']!.responses;
    const codesOf = (status: string) =>
      (listRoute[status]!.content!['application/json']!.schema as any).properties.error.properties.code.enum;
    expect(codesOf('401')).toEqual(['UNAUTHORIZED']);
    expect(codesOf('403')).toEqual(['FORBIDDEN']);
    expect(codesOf('404')).toEqual(['NOT_FOUND']);
    expect(codesOf('400')).toEqual(['VALIDATION_FAILED']);
    expect(codesOf('503').sort()).toEqual(['DB_UNAVAILABLE', 'NOT_CONFIGURED']);
  });
});
