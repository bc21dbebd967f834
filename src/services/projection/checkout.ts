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
  const checkoutId = metadataOf(object)[CHECKOUT_ID_KEY];
  const session: SessionFacts = {
    key: eventKey(event, sessionRank(event.type, status, paymentStatus)),
    status,
    paymentStatus,
    metadata: metadataOf(object),
    subject: subjectFromMetadata(object) ?? subjectFromClientReference(object),
    stripeCustomerId: idOf(object, 'customer'),
    sessionId: str(object, 'id')!,
    ourId: checkoutId && UUID.test(checkoutId) ? checkoutId : undefined,
    mode: str(object, 'mode') ?? 'payment',
    paymentIntentId: idOf(object, 'payment_intent'),
    completed: status === 'complete',
  };
  const statements: Statement[] = [upsertSession(input, session)];
  const { subject, stripeCustomerId } = session;
  if (subject && stripeCustomerId)
    statements.push(...mapCustomer(db, environment, subject, stripeCustomerId, 'checkout'));
  // A completed one-time purchase is a row of payment history (the order recipes key on it).
  if (
    session.mode === 'payment' &&
    (session.completed || event.type === 'checkout.session.async_payment_failed')
  ) {
    statements.push(upsertCheckoutPayment(input, session));
  }
  return statements;
}

interface SessionFacts {
  key: ReturnType<typeof eventKey>;
  status: string | null;
  paymentStatus: string | null;
  metadata: Record<string, string>;
  subject: ReturnType<typeof subjectFromMetadata>;
  stripeCustomerId: string | null;
  sessionId: string;
  /** our request row's id, when the session was created through Paywire */
  ourId: string | undefined;
  mode: string;
  paymentIntentId: string | null;
  completed: boolean;
}

// Never lose what is already known: the subject, customer and hosted URL of the request row.
const SESSION_MERGE = {
  subjectType: sql`coalesce(${checkoutSessions.subjectType}, excluded.subject_type)`,
  subjectId: sql`coalesce(${checkoutSessions.subjectId}, excluded.subject_id)`,
  stripeCustomerId: sql`coalesce(excluded.stripe_customer_id, ${checkoutSessions.stripeCustomerId})`,
  url: sql`coalesce(${checkoutSessions.url}, excluded.url)`,
};
/** A request row of the other environment is never touched. */
const SAME_ENVIRONMENT = sql`${checkoutSessions.environment} = excluded.environment`;

const CHECKOUT_PAYMENT_MERGE = {
  stripeCustomerId: sql`coalesce(excluded.stripe_customer_id, ${paymentHistory.stripeCustomerId})`,
  subjectType: sql`coalesce(${paymentHistory.subjectType}, excluded.subject_type)`,
  subjectId: sql`coalesce(${paymentHistory.subjectId}, excluded.subject_id)`,
};

function upsertSession({ db, environment, event, object }: ProjectionInput, s: SessionFacts): Statement {
  return upsertProjected(db, checkoutSessions, {
    target: s.ourId
      ? checkoutSessions.id
      : [checkoutSessions.environment, checkoutSessions.stripeCheckoutSessionId],
    values: {
      ...(s.ourId ? { id: s.ourId } : {}),
      environment,
      subjectType: s.subject?.subjectType ?? null,
      subjectId: s.subject?.subjectId ?? null,
      mode: s.mode,
      status: ourStatus(event.type, s.status),
      stripeCheckoutSessionId: s.sessionId,
      stripeCustomerId: s.stripeCustomerId,
      url: str(object, 'url'),
      paymentStatus: s.paymentStatus,
      amountTotal: num(object, 'amount_total'),
      currency: str(object, 'currency'),
      stripeSubscriptionId: idOf(object, 'subscription'),
      stripePaymentIntentId: s.paymentIntentId,
      completedAt: s.completed ? new Date(event.created * 1000) : null,
      expiresAt: toDate(num(object, 'expires_at')),
      metadata: s.metadata,
      raw: object,
      ...recencyValues(s.key),
    },
    copy: SESSION_COLUMNS,
    merge: SESSION_MERGE,
    also: SAME_ENVIRONMENT,
  });
}

function upsertCheckoutPayment(
  { db, environment, event, object }: ProjectionInput,
  s: SessionFacts,
): Statement {
  return upsertProjected(db, paymentHistory, {
    target: [paymentHistory.environment, paymentHistory.stripeObjectId],
    values: {
      environment,
      kind: 'checkout_session',
      stripeObjectId: s.sessionId,
      stripeCustomerId: s.stripeCustomerId,
      subjectType: s.subject?.subjectType ?? null,
      subjectId: s.subject?.subjectId ?? null,
      stripePaymentIntentId: s.paymentIntentId,
      stripeCheckoutSessionId: s.sessionId,
      amount: num(object, 'amount_total') ?? 0,
      currency: str(object, 'currency') ?? 'usd',
      status:
        event.type === 'checkout.session.async_payment_failed' ? 'failed' : (s.paymentStatus ?? 'unpaid'),
      occurredAt: new Date(event.created * 1000),
      metadata: s.metadata,
      raw: object,
      ...recencyValues(s.key),
    },
    copy: ['amount', 'currency', 'status', 'metadata', 'raw'],
    merge: CHECKOUT_PAYMENT_MERGE,
  });
}
