import { and, eq, isNull, sql } from 'drizzle-orm';
import type { PgInsertValue } from 'drizzle-orm/pg-core';
import { type Environment, paymentHistory } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { placeholder, prepare, preparedOnce, prepareSql } from '../../db/prepared';
import { eventKey, rankOf, recencyValues } from './recency';
import { idOf, listData, metadataOf, num, obj, type StripeObject, str, toDate } from './stripe-object';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

const INVOICE_RANK: Record<string, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };
const PAYMENT_INTENT_RANK: Record<string, number> = {
  requires_payment_method: 0,
  requires_confirmation: 1,
  requires_action: 2,
  processing: 3,
  requires_capture: 4,
  canceled: 5,
  succeeded: 5,
};
const REFUND_RANK: Record<string, number> = {
  pending: 0,
  requires_action: 0,
  succeeded: 1,
  failed: 1,
  canceled: 1,
};

const HISTORY_COLUMNS = [
  'stripeInvoiceId',
  'stripePaymentIntentId',
  'stripeChargeId',
  'stripeSubscriptionId',
  'amount',
  'currency',
  'status',
  'description',
  'occurredAt',
  'metadata',
  'raw',
] as const;

type HistoryRow = PgInsertValue<typeof paymentHistory>;

/** The payment row's customer, bound from the refund row's own values (environment, payment intent). */
const CUSTOMER_OF_PAYMENT = sql`(select p.stripe_customer_id from ${paymentHistory} p where p.environment = ${placeholder('environment')} and p.stripe_object_id = ${placeholder('stripePaymentIntentId')})`;

const HISTORY_MERGE = {
  stripeCustomerId: sql`coalesce(excluded.stripe_customer_id, ${paymentHistory.stripeCustomerId})`,
};

/** Guarded upsert of one payment_history row; customer and subject are only ever filled in, never erased. */
function upsertHistory(input: ProjectionInput, row: Omit<HistoryRow, 'environment'>): Statement {
  return upsertProjected(input.db, paymentHistory, {
    target: [paymentHistory.environment, paymentHistory.stripeObjectId],
    values: { ...row, environment: input.environment },
    copy: [...HISTORY_COLUMNS, 'kind'],
    merge: HISTORY_MERGE,
  });
}

/** The invoice's subscription: under `parent.subscription_details` in current API versions. */
function invoiceSubscription(invoice: StripeObject): string | null {
  const details = obj(obj(invoice, 'parent'), 'subscription_details');
  return idOf(details, 'subscription') ?? idOf(invoice, 'subscription');
}

/** The invoice's payment intent: from `payments` (current versions) or the legacy field. */
function invoicePaymentIntent(invoice: StripeObject): string | null {
  for (const payment of listData(invoice, 'payments')) {
    const pi = idOf(obj(payment, 'payment'), 'payment_intent');
    if (pi) return pi;
  }
  return idOf(invoice, 'payment_intent');
}

/** invoice.created|finalized|paid|payment_succeeded|payment_failed|voided|marked_uncollectible|updated */
export function projectInvoice(input: ProjectionInput): Statement[] {
  const { event, object } = input;
  const status = str(object, 'status') ?? 'draft';
  const key = eventKey(event, rankOf(status, INVOICE_RANK));
  const paidAt = num(obj(object, 'status_transitions'), 'paid_at');
  return [
    upsertHistory(input, {
      kind: 'invoice',
      stripeObjectId: str(object, 'id')!,
      stripeCustomerId: idOf(object, 'customer'),
      stripeInvoiceId: str(object, 'id'),
      stripePaymentIntentId: invoicePaymentIntent(object),
      stripeChargeId: idOf(object, 'charge'),
      stripeSubscriptionId: invoiceSubscription(object),
      amount: num(object, 'total') ?? num(object, 'amount_due') ?? 0,
      currency: str(object, 'currency') ?? 'usd',
      status,
      description: str(object, 'description') ?? str(object, 'number'),
      occurredAt: toDate(paidAt ?? num(object, 'created') ?? event.created)!,
      metadata: metadataOf(object),
      raw: object,
      ...recencyValues(key),
    }),
  ];
}

/** payment_intent.succeeded|payment_failed|canceled|processing|created… */
export function projectPaymentIntent(input: ProjectionInput): Statement[] {
  const { db, environment, event, object } = input;
  const status = str(object, 'status') ?? 'requires_payment_method';
  const key = eventKey(event, rankOf(status, PAYMENT_INTENT_RANK));
  const paymentIntentId = str(object, 'id')!;
  const customer = idOf(object, 'customer');
  const statements: Statement[] = [
    upsertHistory(input, {
      kind: 'payment_intent',
      stripeObjectId: paymentIntentId,
      stripeCustomerId: customer,
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: idOf(object, 'latest_charge'),
      amount: num(object, 'amount') ?? 0,
      currency: str(object, 'currency') ?? 'usd',
      status,
      description: str(object, 'description'),
      occurredAt: toDate(num(object, 'created') ?? event.created)!,
      metadata: metadataOf(object),
      raw: object,
      ...recencyValues(key),
    }),
  ];
  // Refunds may have arrived first without a customer: give them this payment's customer
  // (the subject trigger then fills in the subject).
  if (customer) {
    statements.push(
      paymentStatements(db).giveRefundsCustomer.bind({ environment, paymentIntentId, customer }),
    );
  }
  return statements;
}

/**
 * charge.refunded: the refunded total of the payment only grows, so it is merged with
 * greatest() outside the recency guard. If the payment intent row is not there yet, a
 * placeholder with the lowest possible key is written; the payment intent's own event fills it.
 */
export function projectChargeRefunded(input: ProjectionInput): Statement[] {
  const { db, environment, object } = input;
  const paymentIntentId = idOf(object, 'payment_intent');
  if (!paymentIntentId) return [];
  const amountRefunded = num(object, 'amount_refunded') ?? 0;
  return [
    paymentStatements(db).mergeChargeRefund.bind({
      environment,
      stripeObjectId: paymentIntentId,
      stripeCustomerId: idOf(object, 'customer'),
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: str(object, 'id'),
      amount: num(object, 'amount') ?? 0,
      amountRefunded,
      currency: str(object, 'currency') ?? 'usd',
      occurredAt: toDate(num(object, 'created') ?? input.event.created)!,
      raw: object,
    }),
  ];
}

/** The hand-written statements of this module, prepared once per isolate (db/prepared.ts). */
const paymentStatements = preparedOnce((db: Db) => {
  const p = placeholder;
  return {
    /** Refunds that arrived before their payment, without a customer, get the payment's. */
    giveRefundsCustomer: prepare(
      db
        .update(paymentHistory)
        .set({ stripeCustomerId: p('customer') as unknown as string })
        .where(
          and(
            eq(paymentHistory.environment, p('environment') as unknown as Environment),
            eq(paymentHistory.kind, 'refund'),
            eq(paymentHistory.stripePaymentIntentId, p('paymentIntentId')),
            isNull(paymentHistory.stripeCustomerId),
          ),
        ),
    ),
    /** The advisory lock of the customer recorded on a payment (migration 0017), if any. */
    lockCustomerOfPayment: prepareSql<{ environment: string; paymentIntentId: string }>(
      `select pg_advisory_xact_lock(paywire.billing_lock_key('customer:' || p.environment || ':' || p.stripe_customer_id))
         from paywire.payment_history p
        where p.environment = $1 and p.stripe_object_id = $2 and p.stripe_customer_id is not null`,
      ['environment', 'paymentIntentId'],
    ),
    /** charge.refunded onto its payment row (or a lowest-key placeholder row). */
    mergeChargeRefund: prepare(
      db
        .insert(paymentHistory)
        .values({
          environment: p('environment'),
          kind: 'payment_intent',
          stripeObjectId: p('stripeObjectId'),
          stripeCustomerId: p('stripeCustomerId'),
          stripePaymentIntentId: p('stripePaymentIntentId'),
          stripeChargeId: p('stripeChargeId'),
          amount: p('amount'),
          amountRefunded: p('amountRefunded'),
          currency: p('currency'),
          status: 'succeeded',
          occurredAt: p('occurredAt'),
          raw: p('raw'),
          sourceTs: 0,
          sourceRank: 0,
          sourceEventId: '',
        })
        .onConflictDoUpdate({
          target: [paymentHistory.environment, paymentHistory.stripeObjectId],
          set: {
            amountRefunded: sql`greatest(${paymentHistory.amountRefunded}, excluded.amount_refunded)`,
            stripeChargeId: sql`coalesce(${paymentHistory.stripeChargeId}, excluded.stripe_charge_id)`,
            stripeCustomerId: sql`coalesce(${paymentHistory.stripeCustomerId}, excluded.stripe_customer_id)`,
          },
          setWhere: sql`excluded.amount_refunded > ${paymentHistory.amountRefunded}`,
        }),
    ),
  };
});

/** refund.created|updated|failed: one row per refund, linked to its payment. */
export function projectRefund(input: ProjectionInput): Statement[] {
  const { event, object } = input;
  const status = str(object, 'status') ?? 'pending';
  const key = eventKey(event, rankOf(status, REFUND_RANK));
  const paymentIntentId = idOf(object, 'payment_intent');
  const customer = idOf(object, 'customer');
  // A refund that names no customer takes its payment's: lock that customer too (after the
  // payment's key, which the event holds already), so a concurrent mapping of it is seen.
  const lockCustomer =
    !customer && paymentIntentId
      ? [
          paymentStatements(input.db).lockCustomerOfPayment.bind({
            environment: input.environment,
            paymentIntentId,
          }),
        ]
      : [];
  return [
    ...lockCustomer,
    upsertHistory(input, {
      kind: 'refund',
      stripeObjectId: str(object, 'id')!,
      // Refund objects rarely name the customer; take it from the payment when that row exists.
      stripeCustomerId: customer ?? (paymentIntentId ? CUSTOMER_OF_PAYMENT : null),
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: idOf(object, 'charge'),
      amount: num(object, 'amount') ?? 0,
      currency: str(object, 'currency') ?? 'usd',
      status,
      description: str(object, 'reason'),
      occurredAt: toDate(num(object, 'created') ?? event.created)!,
      metadata: metadataOf(object),
      raw: object,
      ...recencyValues(key),
    }),
  ];
}
