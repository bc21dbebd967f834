import { auditLog, type Environment } from '../../../drizzle/schema';
import type { ServiceContext } from '../context';

export interface AuditEntry {
  action: string;
  environment?: Environment | null;
  target?: string | null;
  /** Never secrets: masked keys and ids only. */
  details?: Record<string, unknown>;
}

/**
 * The audit insert as a statement, to put in the same db.batch as the change it records; the
 * actor and request id come from the context.
 */
export function auditStatement(ctx: Pick<ServiceContext, 'db' | 'actor' | 'requestId'>, entry: AuditEntry) {
  return ctx.db.insert(auditLog).values({
    actor: ctx.actor.id,
    action: entry.action,
    environment: entry.environment ?? null,
    target: entry.target ?? null,
    details: entry.details ?? {},
    requestId: ctx.requestId,
  });
}
