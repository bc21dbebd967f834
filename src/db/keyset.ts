import { and, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { decodeCursor } from '../http/pagination';

/**
 * "Rows after the cursor" for newest-first lists ordered by (time, id desc). The cursor is the
 * (time, id) of the previous page's last row, so pages stay stable while rows are added.
 */
export function afterCursor(cursorText: string | undefined, time: PgColumn, id: PgColumn): SQL | undefined {
  const cursor = decodeCursor(cursorText);
  if (!cursor) return undefined;
  const at = new Date(cursor.createdAt);
  return or(lt(time, at), and(eq(time, at), lt(id, cursor.id)));
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
