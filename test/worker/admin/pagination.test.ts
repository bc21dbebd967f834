/**
 * Keyset pages over rows that share one timestamp (written by one statement, as a sync batch
 * writes them): every row exactly once, in order. Postgres keeps microseconds, so a cursor that
 * kept only a JS Date's milliseconds would skip them on a real server. Forged cursors are 400s.
 */
import { describe, expect, it } from 'vitest';
import { call, isolatedEnv, sqlFor } from '../support/worker';

describe('admin list pagination', () => {
  const env = isolatedEnv();

  it('pages 30 products written in one statement, 10 at a time, each once', async () => {
    await sqlFor(env).query(
      `insert into paywire.products (environment, stripe_product_id, name, active, metadata, raw, source_ts, source_rank, source_event_id)
       select 'test', 'prod_page' || g, 'P' || g, true, '{}', '{}', 1, 0, 'evt_' || g from generate_series(1, 30) g`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const path: string = `/admin/v1/test/products?limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call<{ data: Array<{ id: string }>; nextCursor: string | null }>(env, 'GET', path, {
        admin: true,
      });
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((p) => p.id));
      cursor = res.json.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it.each([
    ['random text', 'not-a-cursor'],
    ['JSON with wrong fields', btoa(JSON.stringify({ a: 1 })).replace(/=+$/, '')],
    [
      'a time before 1970',
      btoa(
        JSON.stringify({ createdAt: '0000-01-01T00:00:00Z', id: '00000000-0000-0000-0000-000000000000' }),
      ).replace(/=+$/, ''),
    ],
    [
      'an id that is not a uuid',
      btoa(JSON.stringify({ createdAt: '2026-01-01T00:00:00Z', id: "1' or 1=1" }))
        .replace(/=+$/, '')
        .replaceAll('+', '-')
        .replaceAll('/', '_'),
    ],
    [
      'an impossible date (Feb 30)',
      btoa(
        JSON.stringify({ createdAt: '2026-02-30T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }),
      ).replace(/=+$/, ''),
    ],
  ])('a forged cursor (%s) is a 400, never a query error', async (_label, cursor) => {
    const res = await call(env, 'GET', `/admin/v1/test/products?cursor=${cursor}`, { admin: true });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });
});
