import { and, eq, type SQL } from 'drizzle-orm';
import { paymentHistory } from '../../../drizzle/schema';
import type { ServiceContext } from '../context';
import { type MeListInput, selectPageAsCaller } from './caller-page';

export const PAYMENT_KINDS = ['payment_intent', 'invoice', 'checkout_session', 'refund'] as const;

export type MyPaymentRow = typeof paymentHistory.$inferSelect;

/** Payment history of every subject the caller may access (RLS decides), newest first by occurrence. */
export async function listMyPayments(
  ctx: ServiceContext,
  input: MeListInput & { kind?: (typeof PAYMENT_KINDS)[number] },
) {
  const filters: Array<SQL | undefined> = [
    eq(paymentHistory.environment, input.environment),
    input.kind ? eq(paymentHistory.kind, input.kind) : undefined,
    input.subject
      ? and(
          eq(paymentHistory.subjectType, input.subject.type),
          eq(paymentHistory.subjectId, input.subject.id),
        )
      : undefined,
  ];
  const page = await selectPageAsCaller(
    ctx,
    'list my payments',
    input,
    paymentHistory,
    paymentHistory.occurredAt,
    filters,
  );
  return { data: page.data as MyPaymentRow[], nextCursor: page.nextCursor };
}
