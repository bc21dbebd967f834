import { and, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Environment } from '../../../drizzle/schema';
import { batchAsCaller, type CallerClaims } from '../../db/as-caller';
import { dbCall } from '../../db/errors';
import { afterCursor, cursorTime, newestFirst, type Page, type PageRequest, pageOf } from '../../db/keyset';
import type { ServiceContext } from '../context';

/** What every /me list takes: the caller (their verified claims), the environment and a page. */
export interface MeListInput extends PageRequest {
  caller: CallerClaims;
  environment: Environment;
  /** only this subject (type:id) among those the caller may access */
  subject?: { type: string; id: string };
}

/**
 * One newest-first keyset page of `table` read AS THE CALLER: the claims and the
 * `authenticated` role are set in the same batch (one transaction, one round trip), so the
 * table's RLS policy (caller_can_access on its subject) decides which rows exist. Nothing here
 * filters by user: a row the policy hides is simply not in the result.
 */
export async function selectPageAsCaller<
  T extends PgTable & { id: PgColumn },
  Extra extends Record<string, SQL | PgColumn> = Record<never, never>,
>(
  ctx: ServiceContext,
  what: string,
  input: MeListInput,
  table: T,
  time: PgColumn,
  filters: Array<SQL | undefined>,
  extra: Extra = {} as Extra,
): Promise<Page<T['$inferSelect'] & { [K in keyof Extra]: unknown }>> {
  const { db } = ctx;
  const query = db
    .select({ row: table as PgTable, cursorTime: cursorTime(time), id: table.id, ...extra })
    .from(table as PgTable)
    .where(and(...filters, afterCursor(input.cursor, time, table.id)))
    .orderBy(...newestFirst(time, table.id))
    .limit(input.limit + 1);
  const [rows] = await dbCall(what, () => batchAsCaller(db, input.caller, [query]));
  type Row = { row: T['$inferSelect']; cursorTime: string; id: string } & Record<string, unknown>;
  const page = pageOf(
    (rows as Row[]).map((r) => ({
      row: { ...r.row, ...Object.fromEntries(Object.keys(extra).map((k) => [k, r[k]])) },
      cursorTime: r.cursorTime,
      id: r.id,
    })),
    input.limit,
  );
  return page as Page<T['$inferSelect'] & { [K in keyof Extra]: unknown }>;
}
