/** src/db/as-caller.ts: statements run as the caller under RLS, in one transaction. */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { portalSessions } from '../../../drizzle/schema';
import { batchAsCaller, batchAsCallerThenOwner } from '../../../src/db/as-caller';
import { sqlState } from '../../../src/db/errors';
import { dbFor, isolatedEnv, sqlFor } from '../support/worker';

const caller = (sub: string, extra: Record<string, unknown> = {}) => ({ claims: { sub, ...extra } });
const portalRow = (subjectId: string, createdBy: string) => ({
  environment: 'test' as const,
  subjectType: 'user',
  subjectId,
  createdBy,
  returnUrl: 'https://app.example/return',
});

describe('batchAsCaller', () => {
  const env = isolatedEnv();

  it('runs as role authenticated with the claims set, and nothing outlives the batch', async () => {
    const db = dbFor(env);
    const [who] = await batchAsCaller(db, caller('u-1'), [
      db.execute(sql`select current_user as role, paywire.caller_id() as caller`),
    ]);
    expect(who.rows[0]).toEqual({ role: 'authenticated', caller: 'u-1' });
    const [after] = (await sqlFor(env).query(
      `select current_user as role, paywire.caller_id() as caller`,
    )) as Array<{ role: string; caller: string | null }>;
    expect(after!.role).not.toBe('authenticated');
    expect(after!.caller).toBeNull();
  });

  it('an RLS-refused insert aborts the whole batch (42501) and leaves no row', async () => {
    const db = dbFor(env);
    const err = await batchAsCallerThenOwner(
      db,
      caller('u-1'),
      [db.insert(portalSessions).values(portalRow('u-2', 'u-1'))],
      [db.execute(sql`select 1`)],
    ).catch((e) => e);
    expect(sqlState(err)).toBe('42501');
    const rows = await sqlFor(env).query(`select count(*)::int as n from paywire.portal_sessions`);
    expect(rows[0]!.n).toBe(0);
  });

  it('an allowed insert is written, then owner statements run after RESET ROLE', async () => {
    const db = dbFor(env);
    const [[[inserted]], [owner]] = await batchAsCallerThenOwner(
      db,
      caller('u-3'),
      [db.insert(portalSessions).values(portalRow('u-3', 'u-3')).returning({ id: portalSessions.id })],
      [db.execute(sql`select current_user <> 'authenticated' as is_owner`)],
    );
    expect(inserted!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(owner.rows).toEqual([{ is_owner: true }]);
    const rows = await sqlFor(env).query(`select created_by from paywire.portal_sessions where id = $1`, [
      inserted!.id,
    ]);
    expect(rows).toEqual([{ created_by: 'u-3' }]);
  });
});
