import { and, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import { type Environment, prices, products, subscriptions } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { type MeListInput, selectPageAsCaller } from './caller-page';
import { type MySubscriptionRow, subscriptionItemsColumn } from './list-my-subscriptions';

/**
 * Subscription statuses that grant their plan. `past_due` is included on purpose: Stripe keeps
 * retrying the renewal (Smart Retries / dunning) and most apps keep access during that grace
 * period; the entitlement carries `status` so an app can be stricter. `unpaid`, `canceled`,
 * `incomplete*` and `paused` grant nothing.
 */
export const ENTITLING_STATUSES = ['active', 'trialing', 'past_due'] as const;

export interface EntitlementRow {
  subject: { type: string; id: string };
  /** `plan` metadata of the price, else of its product; null when neither names one */
  plan: string | null;
  subscription: MySubscriptionRow;
  price: string | null;
  product: string | null;
}

/** plan per price id: the price's own `plan` metadata wins over its product's. */
async function plansOfPrices(
  ctx: ServiceContext,
  environment: Environment,
  priceIds: string[],
): Promise<Map<string, { plan: string | null; product: string | null }>> {
  if (priceIds.length === 0) return new Map();
  // The catalog is not subject data (end users have no grant on it): read with the Worker's rights.
  const rows = await dbCall('read plans of prices', () =>
    ctx.db
      .select({
        price: prices.stripePriceId,
        product: prices.stripeProductId,
        priceMeta: prices.metadata,
        productMeta: products.metadata,
      })
      .from(prices)
      .leftJoin(
        products,
        and(
          eq(products.environment, prices.environment),
          eq(products.stripeProductId, prices.stripeProductId),
        ),
      )
      .where(and(eq(prices.environment, environment), inArray(prices.stripePriceId, priceIds))),
  );
  return new Map(
    rows.map((r) => [
      r.price,
      { plan: r.priceMeta?.plan ?? r.productMeta?.plan ?? null, product: r.product },
    ]),
  );
}

/**
 * The plans the caller's subjects hold: one entry per entitling subscription (newest first,
 * paginated like the lists), with the plan of its first item whose price or product names one.
 * Two round trips: the subscriptions under RLS, then the catalog for their prices.
 */
export async function listMyEntitlements(ctx: ServiceContext, input: MeListInput) {
  const filters: Array<SQL | undefined> = [
    eq(subscriptions.environment, input.environment),
    isNull(subscriptions.deletedAt),
    inArray(subscriptions.status, [...ENTITLING_STATUSES]),
    input.subject
      ? and(eq(subscriptions.subjectType, input.subject.type), eq(subscriptions.subjectId, input.subject.id))
      : undefined,
  ];
  const page = await selectPageAsCaller(
    ctx,
    'list my entitlements',
    input,
    subscriptions,
    subscriptions.createdAt,
    filters,
    subscriptionItemsColumn,
  );
  const subs = page.data as MySubscriptionRow[];
  const priceIds = [...new Set(subs.flatMap((s) => s.items.map((i) => i.price).filter((p) => p !== null)))];
  const plans = await plansOfPrices(ctx, input.environment, priceIds);
  const data = subs.map((s): EntitlementRow => {
    const planned = s.items.find((i) => i.price && plans.get(i.price)?.plan);
    const first = planned ?? s.items[0];
    const info = first?.price ? plans.get(first.price) : undefined;
    return {
      subject: { type: s.subjectType ?? '', id: s.subjectId ?? '' },
      plan: info?.plan ?? null,
      subscription: s,
      price: first?.price ?? s.stripePriceId,
      product: first?.product ?? info?.product ?? null,
    };
  });
  return { data, nextCursor: page.nextCursor };
}
