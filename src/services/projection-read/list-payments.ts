import { and, eq, gte } from 'drizzle-orm';
import { type Environment, paymentHistory } from '../../../drizzle/schema';
import { type PageRequest, parseSubject, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type PaymentRow = typeof paymentHistory.$inferSelect;
export type PaymentKind = 'payment_intent' | 'invoice' | 'checkout_session' | 'refund';

/** Payment history (payment intents, invoices, checkout payments, refunds), newest first by occurrence. */
export function listPayments(
  ctx: ServiceContext,
  input: PageRequest & {
    environment: Environment;
    kind?: PaymentKind;
    status?: string;
    customer?: string;
    subject?: string;
    subscription?: string;
    since?: Date;
  },
) {
  const subject = parseSubject(input.subject);
  return selectPage(
    ctx.db,
    'list payments',
    paymentHistory,
    [
      eq(paymentHistory.environment, input.environment),
      input.kind ? eq(paymentHistory.kind, input.kind) : undefined,
      input.status ? eq(paymentHistory.status, input.status) : undefined,
      input.customer ? eq(paymentHistory.stripeCustomerId, input.customer) : undefined,
      subject
        ? and(eq(paymentHistory.subjectType, subject.type), eq(paymentHistory.subjectId, subject.id))
        : undefined,
      input.subscription ? eq(paymentHistory.stripeSubscriptionId, input.subscription) : undefined,
      input.since ? gte(paymentHistory.occurredAt, input.since) : undefined,
    ],
    input,
    paymentHistory.occurredAt,
  );
}
