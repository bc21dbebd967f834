import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { subscriptions } from '../../../drizzle/schema';
import type { ServiceContext } from '../context';
import { type MeListInput, selectPageAsCaller } from './caller-page';

export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;

export interface MySubscriptionItem {
  id: string;
  price: string | null;
  product: string | null;
  quantity: number | null;
}

export type MySubscriptionRow = typeof subscriptions.$inferSelect & { items: MySubscriptionItem[] };

/**
 * The live items of each subscription, read in the same statement (the outer row is named by
 * its table: drizzle leaves a single-table select's columns unqualified, which inside this
 * subquery would mean the item's own columns) (and so under the same RLS:
 * subscription_items' policy checks access to its subscription's subject).
 */
const itemsOfSubscription = sql<MySubscriptionItem[]>`(
  select coalesce(json_agg(json_build_object(
           'id', i.stripe_subscription_item_id, 'price', i.stripe_price_id,
           'product', i.stripe_product_id, 'quantity', i.quantity)
         order by i.created_at, i.stripe_subscription_item_id), '[]'::json)
    from paywire.subscription_items i
   where i.environment = "subscriptions".environment
     and i.stripe_subscription_id = "subscriptions".stripe_subscription_id
     and i.deleted_at is null)`;

/** The extra column of a subscription page: its live items. */
export const subscriptionItemsColumn = { items: itemsOfSubscription };

/** Subscriptions of every subject the caller may access (RLS decides), newest first. */
export async function listMySubscriptions(
  ctx: ServiceContext,
  input: MeListInput & { status?: (typeof SUBSCRIPTION_STATUSES)[number] },
) {
  const filters: Array<SQL | undefined> = [
    eq(subscriptions.environment, input.environment),
    isNull(subscriptions.deletedAt),
    input.status ? eq(subscriptions.status, input.status) : undefined,
    input.subject
      ? and(eq(subscriptions.subjectType, input.subject.type), eq(subscriptions.subjectId, input.subject.id))
      : undefined,
  ];
  const page = await selectPageAsCaller(
    ctx,
    'list my subscriptions',
    input,
    subscriptions,
    subscriptions.createdAt,
    filters,
    subscriptionItemsColumn,
  );
  return { data: page.data as MySubscriptionRow[], nextCursor: page.nextCursor };
}
