import { eq } from 'drizzle-orm';
import { billingAudit, type Environment } from '../../../drizzle/schema';
import { type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type BillingAuditRow = typeof billingAudit.$inferSelect;

/**
 * The billing audit (written by the database, migration 0023): every status change of a
 * subscription or payment row, and every failed invoice payment attempt, newest first;
 * optionally one subject's or one Stripe object's.
 */
export function listBillingAudit(
  ctx: ServiceContext,
  input: PageRequest & {
    environment: Environment;
    subjectType?: string;
    subjectId?: string;
    stripeObjectId?: string;
    entity?: 'subscription' | 'payment';
  },
) {
  return selectPage(
    ctx.db,
    'list billing audit',
    billingAudit,
    [
      eq(billingAudit.environment, input.environment),
      input.subjectType ? eq(billingAudit.subjectType, input.subjectType) : undefined,
      input.subjectId ? eq(billingAudit.subjectId, input.subjectId) : undefined,
      input.stripeObjectId ? eq(billingAudit.stripeObjectId, input.stripeObjectId) : undefined,
      input.entity ? eq(billingAudit.entity, input.entity) : undefined,
    ],
    input,
  );
}
