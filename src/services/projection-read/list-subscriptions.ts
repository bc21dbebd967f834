import { and, eq, exists, inArray, isNull, type SQL } from 'drizzle-orm';
import { type Environment, subscriptionItems, subscriptions } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { type PageRequest, parseSubject, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type SubscriptionRow = typeof subscriptions.$inferSelect & {
  items: Array<typeof subscriptionItems.$inferSelect>;
};

/** Mirrored subscriptions with their items, newest first. */
export async function listSubscriptions(
  ctx: ServiceContext,
  filters: PageRequest & {
    environment: Environment;
    status?: string;
    customer?: string;
    subject?: string;
    price?: string;
    includeDeleted?: boolean;
  },
) {
  const { db } = ctx;
  const { environment } = filters;
  const subject = parseSubject(filters.subject);
  const conditions: Array<SQL | undefined> = [
    eq(subscriptions.environment, environment),
    filters.status ? eq(subscriptions.status, filters.status) : undefined,
    filters.customer ? eq(subscriptions.stripeCustomerId, filters.customer) : undefined,
    subject
      ? and(eq(subscriptions.subjectType, subject.type), eq(subscriptions.subjectId, subject.id))
      : undefined,
    // any live item of the subscription, not only the first (subscriptions.stripe_price_id)
    filters.price
      ? exists(
          db
            .select({ id: subscriptionItems.id })
            .from(subscriptionItems)
            .where(
              and(
                eq(subscriptionItems.environment, subscriptions.environment),
                eq(subscriptionItems.stripeSubscriptionId, subscriptions.stripeSubscriptionId),
                eq(subscriptionItems.stripePriceId, filters.price),
                isNull(subscriptionItems.deletedAt),
              ),
            ),
        )
      : undefined,
    filters.includeDeleted ? undefined : isNull(subscriptions.deletedAt),
  ];
  const page = await selectPage(db, 'list subscriptions', subscriptions, conditions, filters);
  const ids = page.data.map((s) => s.stripeSubscriptionId);
  const items =
    ids.length === 0
      ? []
      : await dbCall('list subscription items', () =>
          db
            .select()
            .from(subscriptionItems)
            .where(
              and(
                eq(subscriptionItems.environment, environment),
                inArray(subscriptionItems.stripeSubscriptionId, ids),
                isNull(subscriptionItems.deletedAt),
              ),
            ),
        );
  return {
    data: page.data.map(
      (s): SubscriptionRow => ({
        ...s,
        items: items.filter((i) => i.stripeSubscriptionId === s.stripeSubscriptionId),
      }),
    ),
    nextCursor: page.nextCursor,
  };
}
