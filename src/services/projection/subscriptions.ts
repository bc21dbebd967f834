import { and, eq, notInArray, sql } from 'drizzle-orm';
import { subscriptionItems, subscriptions } from '../../../drizzle/schema';
import { mapCustomer } from './customers';
import { eventKey, keyNewerThanRow, rankOf, recencyValues } from './recency';
import { bool, idOf, listData, listIsComplete, metadataOf, num, obj, str, toDate } from './stripe-object';
import { subjectFromMetadata } from './subjects';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

/**
 * Lifecycle order used to rank same-second updates. Terminal states rank highest; the usual
 * same-second sequence (incomplete → active at checkout) resolves to the later state.
 */
const STATUS_RANK: Record<string, number> = {
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 3,
  paused: 3,
  unpaid: 4,
  incomplete_expired: 9,
  canceled: 9,
};

const SUBSCRIPTION_COLUMNS = [
  'stripeCustomerId',
  'status',
  'cancelAtPeriodEnd',
  'cancelAt',
  'canceledAt',
  'endedAt',
  'trialStart',
  'trialEnd',
  'currentPeriodStart',
  'currentPeriodEnd',
  'collectionMethod',
  'latestInvoiceId',
  'stripePriceId',
  'metadata',
  'stripeCreated',
  'raw',
] as const;

const ITEM_COLUMNS = [
  'stripeSubscriptionId',
  'stripePriceId',
  'stripeProductId',
  'quantity',
  'currentPeriodStart',
  'currentPeriodEnd',
  'metadata',
  'raw',
] as const;

/** customer.subscription.created|updated|deleted|paused|resumed|trial_will_end, with items. */
export function projectSubscription(input: ProjectionInput): Statement[] {
  const { db, environment, event, object } = input;
  const status = str(object, 'status') ?? 'incomplete';
  const key = eventKey(event, rankOf(status, STATUS_RANK));
  const stripeSubscriptionId = str(object, 'id')!;
  const stripeCustomerId = idOf(object, 'customer') ?? '';
  const items = listData(object, 'items');
  const first = items[0];
  // Current API versions keep the billing period on the items; older ones on the subscription.
  const periodStart = num(first, 'current_period_start') ?? num(object, 'current_period_start');
  const periodEnd = num(first, 'current_period_end') ?? num(object, 'current_period_end');
  const subject = subjectFromMetadata(object);

  const statements: Statement[] = [
    upsertProjected(db, subscriptions, {
      target: [subscriptions.environment, subscriptions.stripeSubscriptionId],
      values: {
        environment,
        stripeSubscriptionId,
        stripeCustomerId,
        subjectType: subject?.subjectType ?? null,
        subjectId: subject?.subjectId ?? null,
        status,
        cancelAtPeriodEnd: bool(object, 'cancel_at_period_end') ?? false,
        cancelAt: toDate(num(object, 'cancel_at')),
        canceledAt: toDate(num(object, 'canceled_at')),
        endedAt: toDate(num(object, 'ended_at')),
        trialStart: toDate(num(object, 'trial_start')),
        trialEnd: toDate(num(object, 'trial_end')),
        currentPeriodStart: toDate(periodStart),
        currentPeriodEnd: toDate(periodEnd),
        collectionMethod: str(object, 'collection_method'),
        latestInvoiceId: idOf(object, 'latest_invoice'),
        stripePriceId: idOf(first, 'price'),
        metadata: metadataOf(object),
        stripeCreated: num(object, 'created'),
        raw: object,
        ...recencyValues(key),
      },
      copy: SUBSCRIPTION_COLUMNS,
      merge: {
        subjectType: sql`coalesce(excluded.subject_type, ${subscriptions.subjectType})`,
        subjectId: sql`coalesce(excluded.subject_id, ${subscriptions.subjectId})`,
      },
    }),
  ];

  for (const item of items) {
    const price = obj(item, 'price');
    statements.push(
      upsertProjected(db, subscriptionItems, {
        target: [subscriptionItems.environment, subscriptionItems.stripeSubscriptionItemId],
        values: {
          environment,
          stripeSubscriptionItemId: str(item, 'id')!,
          stripeSubscriptionId,
          stripePriceId: idOf(item, 'price'),
          stripeProductId: idOf(price, 'product'),
          quantity: num(item, 'quantity'),
          currentPeriodStart: toDate(num(item, 'current_period_start') ?? periodStart),
          currentPeriodEnd: toDate(num(item, 'current_period_end') ?? periodEnd),
          metadata: metadataOf(item),
          raw: item,
          ...recencyValues(key),
        },
        copy: ITEM_COLUMNS,
      }),
    );
  }

  // Items missing from a complete list were removed from the subscription: tombstone them,
  // but only if this event is newer than what the item row reflects.
  if (listIsComplete(object, 'items')) {
    const present = items.map((i) => str(i, 'id')).filter((id): id is string => id != null);
    statements.push(
      db
        .update(subscriptionItems)
        .set({ deletedAt: new Date(event.created * 1000), ...recencyValues(key) })
        .where(
          and(
            eq(subscriptionItems.environment, environment),
            eq(subscriptionItems.stripeSubscriptionId, stripeSubscriptionId),
            present.length > 0 ? notInArray(subscriptionItems.stripeSubscriptionItemId, present) : undefined,
            keyNewerThanRow(subscriptionItems, key),
          ),
        ),
    );
  }

  if (subject && stripeCustomerId)
    statements.push(...mapCustomer(db, environment, subject, stripeCustomerId, 'metadata'));
  return statements;
}
