import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { AppError } from '../errors';
import type { Db } from './client';
import { dbCall } from './errors';

/**
 * Keyset pagination for newest-first lists ordered by (time desc, id desc). The cursor is
 * opaque to clients: base64url of the previous page's last (time, id), so pages stay stable
 * while rows are added. A cursor is fully validated before it reaches SQL: a forged or
 * malformed one is a 400, never a query error.
 */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

interface Cursor {
  createdAt: string;
  id: string;
}

/** Earliest and latest instants a cursor may name (well inside Postgres's timestamptz range). */
const MIN_TIME = Date.UTC(1970, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31);
const ID_SHAPES = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  bigserial: /^[1-9][0-9]{0,17}$/,
} as const;

export function encodeCursor(row: { cursorTime: string; id: string | number }): string {
  const json = JSON.stringify({ createdAt: row.cursorTime, id: String(row.id) });
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor(cursor: string, idShape: keyof typeof ID_SHAPES): Cursor {
  let parsed: unknown;
  try {
    const b64 = cursor.replaceAll('-', '+').replaceAll('_', '/');
    parsed = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)));
  } catch {
    parsed = undefined;
  }
  const { createdAt, id } = (parsed ?? {}) as Partial<Record<keyof Cursor, unknown>>;
  const time = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
  const valid =
    typeof createdAt === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(createdAt) &&
    time >= MIN_TIME &&
    time <= MAX_TIME &&
    // Date.parse rolls impossible dates over (Feb 30 → Mar 2); Postgres refuses them
    new Date(time).toISOString().slice(0, 19) === createdAt.slice(0, 19) &&
    typeof id === 'string' &&
    ID_SHAPES[idShape].test(id);
  if (!valid) throw new AppError('VALIDATION_FAILED', 'Invalid cursor (use nextCursor of the previous page)');
  return { createdAt, id };
}

/**
 * The row's time as the cursor keeps it: microseconds, as Postgres stores them (a JS Date has
 * milliseconds only, and rows written in one statement share a microsecond time, so a
 * millisecond cursor would skip them).
 */
export const cursorTime = (time: PgColumn) =>
  sql<string>`to_char(${time} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.mapWith(String);

/** "Rows after the cursor" as one row comparison, which an index on (…, time, id) serves directly. */
export function afterCursor(cursorText: string | undefined, time: PgColumn, id: PgColumn): SQL | undefined {
  if (!cursorText) return undefined;
  const uuid = id.getSQLType() === 'uuid';
  const cursor = decodeCursor(cursorText, uuid ? 'uuid' : 'bigserial');
  const cursorId = uuid ? sql`${cursor.id}::uuid` : sql`${cursor.id}::bigint`;
  return sql`(${time}, ${id}) < (${cursor.createdAt}::timestamptz, ${cursorId})`;
}

/** Newest first, ties broken by id: the order every cursor follows. */
export const newestFirst = (time: PgColumn, id: PgColumn) => [desc(time), desc(id)];

/** Takes one row more than asked to know whether another page exists. */
export function pageOf<T>(
  rows: Array<{ row: T; cursorTime: string; id: string | number }>,
  limit: number,
): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data: data.map((r) => r.row),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

/**
 * One page of `table`, newest first by (time, id), where `filters` hold. `time` defaults to
 * the table's created_at; lists by another instant (events by received_at) name it.
 */
export async function selectPage<T extends PgTable & { id: PgColumn; createdAt: PgColumn }>(
  db: Db,
  what: string,
  table: T,
  filters: Array<SQL | undefined>,
  page: PageRequest,
  time: PgColumn = table.createdAt,
): Promise<Page<T['$inferSelect']>> {
  const rows = await dbCall(what, () =>
    db
      .select({ row: table as PgTable, cursorTime: cursorTime(time), id: table.id })
      .from(table as PgTable)
      .where(and(...filters, afterCursor(page.cursor, time, table.id)))
      .orderBy(...newestFirst(time, table.id))
      .limit(page.limit + 1),
  );
  return pageOf(
    rows as Array<{ row: T['$inferSelect']; cursorTime: string; id: string | number }>,
    page.limit,
  );
}

/** Exact match, or a prefix match when the filter ends in `*` (e.g. `invoice.*`, `connection.*`). */
export function exactOrPrefix(column: PgColumn, filter: string | undefined): SQL | undefined {
  if (!filter) return undefined;
  if (!filter.endsWith('*')) return eq(column, filter);
  const prefix = filter.slice(0, -1).replace(/[%_\\]/g, '\\$&');
  return sql`${column} like ${`${prefix}%`}`;
}

/** "type:id" → a billing subject, as the list filters take it. */
export function parseSubject(subject: string | undefined): { type: string; id: string } | undefined {
  if (!subject) return undefined;
  const i = subject.indexOf(':');
  return { type: subject.slice(0, i), id: subject.slice(i + 1) };
}
