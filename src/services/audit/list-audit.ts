import { eq } from 'drizzle-orm';
import { auditLog, type Environment } from '../../../drizzle/schema';
import { exactOrPrefix, type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type AuditRow = typeof auditLog.$inferSelect;

/** Admin actions, newest first. Entries hold ids and masked keys only (see record-audit). */
export function listAudit(
  ctx: ServiceContext,
  input: PageRequest & {
    environment?: Environment;
    /** exact action, or a prefix ending in * (e.g. connection.*) */
    action?: string;
  },
) {
  return selectPage(
    ctx.db,
    'list audit log',
    auditLog,
    [
      input.environment ? eq(auditLog.environment, input.environment) : undefined,
      exactOrPrefix(auditLog.action, input.action),
    ],
    input,
  );
}
