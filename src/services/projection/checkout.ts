import { sql } from 'drizzle-orm';
import { checkoutSessions, paymentHistory } from '../../../drizzle/schema';
import { mapCustomer } from './customers';
import { eventKey, recencyValues } from './recency';
import { idOf, metadataOf, num, str, toDate } from './stripe-object';
import { CHECKOUT_ID_KEY, subjectFromClientReference, subjectFromMetadata } from './subjects';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Version signal of a session: open < complete (async payment pending) < expired < paid < async failure. */
function sessionRank(eventType: string, status: string | null, paymentStatus: string | null): number {
  if (eventType === 'checkout.session.async_payment_failed') return 7;
  if (status === 'complete') return paymentStatus === 'unpaid' ? 3 : 6;
  if (status === 'expired') return 5;
  return 0;
}

function ourStatus(eventType: string, status: string | null): 'open' | 'completed' | 'expired' | 'failed' {
  if (eventType === 'checkout.session.async_payment_failed') return 'failed';
  if (status === 'complete') return 'completed';
  if (status === 'expired') return 'expired';
  return 'open';
}

const SESSION_COLUMNS = [
  'mode',
  'status',
  'stripeCheckoutSessionId',
  'paymentStatus',
  'amountTotal',
  'currency',
  'stripeSubscriptionId',
  'stripePaymentIntentId',
  'completedAt',
  'expiresAt',
  'metadata',
  'raw',
] as const;

/**
 * checkout.session.completed|expired|async_payment_succeeded|async_payment_failed.
 * Sessions created through Paywire carry our request row id in metadata and update that row
 * (even if the event beats the runtime API's own update); others get a row keyed by Stripe id.
 */
export function projectCheckoutSession(input: ProjectionInput): Statement[] {
  const { db, environment, event, object } = input;
  const status = str(object, 'status');
  const paymentStatus = str(object, 'payment_status');
  const key = eventKey(event, sessionRank(event.type, status, paymentStatus));
  const metadata = metadataOf(object);
  const subject = subjectFromMetadata(object) ?? subjectFromClientReference(object);
  const stripeCustomerId = idOf(object, 'customer');
  const sessionId = str(object, 'id')!;
  const checkoutId = metadata[CHECKOUT_ID_KEY];
  const ourId = checkoutId && UUID.test(checkoutId) ? checkoutId : undefined;
  const mode = str(object, 'mode') ?? 'payment';
  const paymentIntentId = idOf(object, 'payment_intent');
  const completed = status === 'complete';

  const values = {
    ...(ourId ? { id: ourId } : {}),
    environment,
    subjectType: subject?.subjectType ?? null,
    subjectId: subject?.subjectId ?? null,
    mode,
    status: ourStatus(event.type, status),
    stripeCheckoutSessionId: sessionId,
    stripeCustomerId,
    url: str(object, 'url'),
    paymentStatus,
    amountTotal: num(object, 'amount_total'),
    currency: str(object, 'currency'),
    stripeSubscriptionId: idOf(object, 'subscription'),
    stripePaymentIntentId: paymentIntentId,
    completedAt: completed ? new Date(event.created * 1000) : null,
    expiresAt: toDate(num(object, 'expires_at')),
    metadata,
    raw: object,
    ...recencyValues(key),
  };
  const statements: Statement[] = [
    upsertProjected(db, checkoutSessions, {
      target: ourId
        ? checkoutSessions.id
        : [checkoutSessions.environment, checkoutSessions.stripeCheckoutSessionId],
      values,
      copy: SESSION_COLUMNS,
      // Never lose what is already known: the subject, customer and hosted URL of the request row.
      merge: {
        subjectType: sql`coalesce(${checkoutSessions.subjectType}, excluded.subject_type)`,
        subjectId: sql`coalesce(${checkoutSessions.subjectId}, excluded.subject_id)`,
        stripeCustomerId: sql`coalesce(excluded.stripe_customer_id, ${checkoutSessions.stripeCustomerId})`,
        url: sql`coalesce(${checkoutSessions.url}, excluded.url)`,
      },
      // a request row of the other environment is never touched
      also: sql`${checkoutSessions.environment} = excluded.environment`,
    }),
  ];

  if (subject && stripeCustomerId)
    statements.push(...mapCustomer(db, environment, subject, stripeCustomerId, 'checkout'));

  // A completed one-time purchase is a row of payment history (the order recipes key on it).
  if (mode === 'payment' && (completed || event.type === 'checkout.session.async_payment_failed')) {
    statements.push(
      upsertProjected(db, paymentHistory, {
        target: [paymentHistory.environment, paymentHistory.stripeObjectId],
        values: {
          environment,
          kind: 'checkout_session',
          stripeObjectId: sessionId,
          stripeCustomerId,
          subjectType: subject?.subjectType ?? null,
          subjectId: subject?.subjectId ?? null,
          stripePaymentIntentId: paymentIntentId,
          stripeCheckoutSessionId: sessionId,
          amount: num(object, 'amount_total') ?? 0,
          currency: str(object, 'currency') ?? 'usd',
          status:
            event.type === 'checkout.session.async_payment_failed' ? 'failed' : (paymentStatus ?? 'unpaid'),
          occurredAt: new Date(event.created * 1000),
          metadata,
          raw: object,
          ...recencyValues(key),
        },
        copy: ['amount', 'currency', 'status', 'metadata', 'raw'],
        merge: {
          stripeCustomerId: sql`coalesce(excluded.stripe_customer_id, ${paymentHistory.stripeCustomerId})`,
          subjectType: sql`coalesce(${paymentHistory.subjectType}, excluded.subject_type)`,
          subjectId: sql`coalesce(${paymentHistory.subjectId}, excluded.subject_id)`,
        },
      }),
    );
  }
  return statements;
}
