import { and, desc, eq, type SQL } from 'drizzle-orm';
import { auditLog, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { afterCursor, exactOrPrefix } from '../../db/keyset';
import { pageOf } from '../../http/pagination';

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
  const conditions: Array<SQL | undefined> = [
    filters.environment ? eq(auditLog.environment, filters.environment) : undefined,
    exactOrPrefix(auditLog.action, filters.action),
    afterCursor(filters.cursor, auditLog.createdAt, auditLog.id),
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
