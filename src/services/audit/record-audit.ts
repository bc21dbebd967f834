import { auditLog, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';

export interface AuditEntry {
  actor: string;
  action: string;
  environment?: Environment | null;
  target?: string | null;
  /** Never secrets: masked keys and ids only. */
  details?: Record<string, unknown>;
  requestId?: string | null;
}

/** The audit insert as a statement, to put in the same db.batch as the change it describes. */
export function auditStatement(db: Db, entry: AuditEntry) {
  return db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    environment: entry.environment ?? null,
    target: entry.target ?? null,
    details: entry.details ?? {},
    requestId: entry.requestId ?? null,
  });
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await dbCall('record audit', async () => {
    await auditStatement(db, entry);
  });
}
