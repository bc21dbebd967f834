import { and, desc, eq, gte, type SQL } from 'drizzle-orm';
import { type Environment, paymentHistory } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { afterCursor, parseSubject } from '../../db/keyset';
import { pageOf } from '../../http/pagination';

export type PaymentRow = typeof paymentHistory.$inferSelect;
export type PaymentKind = 'payment_intent' | 'invoice' | 'checkout_session' | 'refund';

/** Payment history (payment intents, invoices, checkout payments, refunds), newest first by occurrence. */
export async function listPayments(
  db: Db,
  environment: Environment,
  filters: {
    kind?: PaymentKind;
    status?: string;
    customer?: string;
    subject?: string;
    subscription?: string;
    since?: Date;
    limit: number;
    cursor?: string;
  },
) {
  const subject = parseSubject(filters.subject);
  const conditions: Array<SQL | undefined> = [
    eq(paymentHistory.environment, environment),
    filters.kind ? eq(paymentHistory.kind, filters.kind) : undefined,
    filters.status ? eq(paymentHistory.status, filters.status) : undefined,
    filters.customer ? eq(paymentHistory.stripeCustomerId, filters.customer) : undefined,
    subject
      ? and(eq(paymentHistory.subjectType, subject.type), eq(paymentHistory.subjectId, subject.id))
      : undefined,
    filters.subscription ? eq(paymentHistory.stripeSubscriptionId, filters.subscription) : undefined,
    filters.since ? gte(paymentHistory.occurredAt, filters.since) : undefined,
    afterCursor(filters.cursor, paymentHistory.occurredAt, paymentHistory.id),
  ];
  const rows = await dbCall('list payments', () =>
    db
      .select()
      .from(paymentHistory)
      .where(and(...conditions))
      .orderBy(desc(paymentHistory.occurredAt), desc(paymentHistory.id))
      .limit(filters.limit + 1),
  );
  return pageOf(
    rows.map((r) => ({ ...r, createdAt: r.occurredAt })),
    filters.limit,
  );
}
