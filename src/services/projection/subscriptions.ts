import { and, eq, sql } from 'drizzle-orm';
import { type Environment, subscriptionItems, subscriptions } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { placeholder, prepare, preparedOnce } from '../../db/prepared';
import { mapCustomer } from './customers';
import { boundKeyNewerThanRow, eventKey, type RecencyKey, rankOf, recencyValues } from './recency';
import {
  bool,
  idOf,
  listData,
  listIsComplete,
  metadataOf,
  num,
  obj,
  type StripeObject,
  str,
  toDate,
} from './stripe-object';
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

export const SUBSCRIPTION_COLUMNS = [
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

export const ITEM_COLUMNS = [
  'stripeSubscriptionId',
  'stripePriceId',
  'stripeProductId',
  'quantity',
  'currentPeriodStart',
  'currentPeriodEnd',
  'metadata',
  'raw',
] as const;

/** Version signal of a subscription: its lifecycle status. */
export const subscriptionRank = (object: StripeObject) =>
  rankOf(str(object, 'status') ?? 'incomplete', STATUS_RANK);

/** What the rows of a subscription and its items are built from. */
export function subscriptionFacts(object: StripeObject, key: RecencyKey): SubscriptionFacts {
  const items = listData(object, 'items');
  return {
    key,
    status: str(object, 'status') ?? 'incomplete',
    stripeSubscriptionId: str(object, 'id')!,
    stripeCustomerId: idOf(object, 'customer') ?? '',
    items,
    // Current API versions keep the billing period on the items; older ones on the subscription.
    periodStart: num(items[0], 'current_period_start') ?? num(object, 'current_period_start'),
    periodEnd: num(items[0], 'current_period_end') ?? num(object, 'current_period_end'),
    subject: subjectFromMetadata(object),
  };
}

/** customer.subscription.created|updated|deleted|paused|resumed|trial_will_end, with items. */
export function projectSubscription(input: ProjectionInput): Statement[] {
  const { db, environment, object } = input;
  const subscription = subscriptionFacts(object, eventKey(input.event, subscriptionRank(object)));
  const statements: Statement[] = [
    upsertSubscription(input, subscription),
    ...subscription.items.map((item) => upsertItem(input, subscription, item)),
  ];
  if (listIsComplete(object, 'items')) statements.push(tombstoneRemovedItems(input, subscription));
  const { subject, stripeCustomerId } = subscription;
  if (subject && stripeCustomerId)
    statements.push(...mapCustomer(db, environment, subject, stripeCustomerId, 'metadata'));
  return statements;
}

export interface SubscriptionFacts {
  key: RecencyKey;
  status: string;
  stripeSubscriptionId: string;
  stripeCustomerId: string;
  items: StripeObject[];
  periodStart: number | null;
  periodEnd: number | null;
  subject: ReturnType<typeof subjectFromMetadata>;
}

/** A subscriptions row (a webhook's data.object or an API read). */
export function subscriptionRow(
  environment: Environment,
  object: StripeObject,
  s: SubscriptionFacts,
): typeof subscriptions.$inferInsert {
  return {
    environment,
    stripeSubscriptionId: s.stripeSubscriptionId,
    stripeCustomerId: s.stripeCustomerId,
    subjectType: s.subject?.subjectType ?? null,
    subjectId: s.subject?.subjectId ?? null,
    status: s.status,
    cancelAtPeriodEnd: bool(object, 'cancel_at_period_end') ?? false,
    cancelAt: toDate(num(object, 'cancel_at')),
    canceledAt: toDate(num(object, 'canceled_at')),
    endedAt: toDate(num(object, 'ended_at')),
    trialStart: toDate(num(object, 'trial_start')),
    trialEnd: toDate(num(object, 'trial_end')),
    currentPeriodStart: toDate(s.periodStart),
    currentPeriodEnd: toDate(s.periodEnd),
    collectionMethod: str(object, 'collection_method'),
    latestInvoiceId: idOf(object, 'latest_invoice'),
    stripePriceId: idOf(s.items[0], 'price'),
    metadata: metadataOf(object),
    stripeCreated: num(object, 'created'),
    raw: object,
    ...recencyValues(s.key),
  };
}

/** The subject is never lost: a state without it keeps the one already known. */
export const SUBSCRIPTION_SUBJECT_MERGE = {
  subjectType: sql`coalesce(excluded.subject_type, ${subscriptions.subjectType})`,
  subjectId: sql`coalesce(excluded.subject_id, ${subscriptions.subjectId})`,
};

function upsertSubscription({ db, environment, object }: ProjectionInput, s: SubscriptionFacts): Statement {
  return upsertProjected(db, subscriptions, {
    target: [subscriptions.environment, subscriptions.stripeSubscriptionId],
    values: subscriptionRow(environment, object, s),
    copy: SUBSCRIPTION_COLUMNS,
    merge: SUBSCRIPTION_SUBJECT_MERGE,
  });
}

/** A subscription_items row; items carry the key of their subscription's state. */
export function itemRow(
  environment: Environment,
  s: SubscriptionFacts,
  item: StripeObject,
): typeof subscriptionItems.$inferInsert {
  return {
    environment,
    stripeSubscriptionItemId: str(item, 'id')!,
    stripeSubscriptionId: s.stripeSubscriptionId,
    stripePriceId: idOf(item, 'price'),
    stripeProductId: idOf(obj(item, 'price'), 'product'),
    quantity: num(item, 'quantity'),
    currentPeriodStart: toDate(num(item, 'current_period_start') ?? s.periodStart),
    currentPeriodEnd: toDate(num(item, 'current_period_end') ?? s.periodEnd),
    metadata: metadataOf(item),
    raw: item,
    ...recencyValues(s.key),
  };
}

function upsertItem(
  { db, environment }: ProjectionInput,
  s: SubscriptionFacts,
  item: StripeObject,
): Statement {
  return upsertProjected(db, subscriptionItems, {
    target: [subscriptionItems.environment, subscriptionItems.stripeSubscriptionItemId],
    values: itemRow(environment, s, item),
    copy: ITEM_COLUMNS,
  });
}

/**
 * Items missing from a complete list were removed from the subscription: tombstone them, but
 * only if this event is newer than what the item row reflects.
 */
function tombstoneRemovedItems({ db, environment, event }: ProjectionInput, s: SubscriptionFacts): Statement {
  const present = s.items.map((i) => str(i, 'id')).filter((id): id is string => id != null);
  return tombstoneItems(db).bind({
    environment,
    subscriptionId: s.stripeSubscriptionId,
    present,
    deletedAt: new Date(event.created * 1000),
    ...s.key,
  });
}

/** tombstoneRemovedItems' statement, prepared once per isolate (db/prepared.ts). */
const tombstoneItems = preparedOnce((db: Db) =>
  prepare(
    db
      .update(subscriptionItems)
      .set({
        deletedAt: placeholder('deletedAt') as unknown as Date,
        sourceTs: placeholder('ts') as unknown as number,
        sourceRank: placeholder('rank') as unknown as number,
        sourceEventId: placeholder('eventId') as unknown as string,
      })
      .where(
        and(
          eq(subscriptionItems.environment, placeholder('environment') as unknown as Environment),
          eq(subscriptionItems.stripeSubscriptionId, placeholder('subscriptionId')),
          // all() of an empty list is true: with no items listed, every item is removed
          sql`${subscriptionItems.stripeSubscriptionItemId} <> all(${placeholder('present')}::text[])`,
          boundKeyNewerThanRow(subscriptionItems),
        ),
      ),
  ),
);
