import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { auditLog, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { decodeCursor, pageOf } from '../../http/pagination';

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditFilters {
  environment?: Environment;
  /** exact action, or a prefix ending in * (e.g. connection.*) */
  action?: string;
  limit: number;
  cursor?: string;
}

/** Admin actions, newest first. Entries hold ids and masked keys only (see record-audit). */
export async function listAudit(db: Db, filters: AuditFilters) {
  const cursor = decodeCursor(filters.cursor);
  const cursorId = cursor && /^\d+$/.test(cursor.id) ? Number(cursor.id) : undefined;
  const conditions: Array<SQL | undefined> = [
    filters.environment ? eq(auditLog.environment, filters.environment) : undefined,
    filters.action
      ? filters.action.endsWith('*')
        ? sql`${auditLog.action} like ${`${filters.action.slice(0, -1).replace(/[%_\\]/g, '\\$&')}%`}`
        : eq(auditLog.action, filters.action)
      : undefined,
    cursor
      ? or(
          lt(auditLog.createdAt, new Date(cursor.createdAt)),
          and(eq(auditLog.createdAt, new Date(cursor.createdAt)), lt(auditLog.id, cursorId ?? 0)),
        )
      : undefined,
  ];
  const rows = await dbCall('list audit log', () =>
    db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .limit(filters.limit + 1),
  );
  return pageOf(rows, filters.limit);
}
