import { type Environment, prices, products } from '../../../drizzle/schema';
import { eventKey, type RecencyKey, recencyValues, TYPE_RANK_DELETED } from './recency';
import { bool, idOf, metadataOf, num, obj, type StripeObject, str } from './stripe-object';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

export const PRODUCT_COLUMNS = [
  'name',
  'description',
  'active',
  'defaultPriceId',
  'metadata',
  'stripeCreated',
  'raw',
] as const;

/** A products row from a Stripe product (a webhook's data.object or an API read). */
export function productRow(
  environment: Environment,
  object: StripeObject,
  key: RecencyKey,
  deletedAt: Date | null = null,
): typeof products.$inferInsert {
  return {
    environment,
    stripeProductId: str(object, 'id')!,
    name: str(object, 'name') ?? '',
    description: str(object, 'description'),
    active: deletedAt ? false : (bool(object, 'active') ?? true),
    defaultPriceId: idOf(object, 'default_price'),
    metadata: metadataOf(object),
    stripeCreated: num(object, 'created'),
    raw: object,
    ...recencyValues(key),
    deletedAt,
  };
}

/** Version signal of a product: `updated` (seconds) orders same-second edits. */
export const productRank = (object: StripeObject) => num(object, 'updated') ?? 0;

/** product.created|updated|deleted. */
export function projectProduct({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deletion = event.type === 'product.deleted';
  const key = eventKey(event, deletion ? TYPE_RANK_DELETED : productRank(object));
  return [
    upsertProjected(db, products, {
      target: [products.environment, products.stripeProductId],
      deletion,
      values: productRow(environment, object, key, deletion ? new Date(event.created * 1000) : null),
      copy: PRODUCT_COLUMNS,
    }),
  ];
}

export const PRICE_COLUMNS = [
  'stripeProductId',
  'active',
  'currency',
  'unitAmount',
  'type',
  'recurringInterval',
  'recurringIntervalCount',
  'trialPeriodDays',
  'lookupKey',
  'nickname',
  'metadata',
  'stripeCreated',
  'raw',
] as const;

/** A prices row from a Stripe price (a webhook's data.object or an API read). */
export function priceRow(
  environment: Environment,
  object: StripeObject,
  key: RecencyKey,
  deletedAt: Date | null = null,
): typeof prices.$inferInsert {
  const recurring = obj(object, 'recurring');
  return {
    environment,
    stripePriceId: str(object, 'id')!,
    stripeProductId: idOf(object, 'product') ?? '',
    active: deletedAt ? false : (bool(object, 'active') ?? true),
    currency: str(object, 'currency') ?? 'usd',
    unitAmount: num(object, 'unit_amount'),
    type: str(object, 'type') ?? (recurring ? 'recurring' : 'one_time'),
    recurringInterval: str(recurring, 'interval'),
    recurringIntervalCount: num(recurring, 'interval_count'),
    trialPeriodDays: num(recurring, 'trial_period_days'),
    lookupKey: str(object, 'lookup_key'),
    nickname: str(object, 'nickname'),
    metadata: metadataOf(object),
    stripeCreated: num(object, 'created'),
    raw: object,
    ...recencyValues(key),
    deletedAt,
  };
}

/** price.created|updated|deleted. Prices carry no version field; the event kind and id order them. */
export function projectPrice({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deletion = event.type === 'price.deleted';
  const key = eventKey(event, deletion ? TYPE_RANK_DELETED : 0);
  return [
    upsertProjected(db, prices, {
      target: [prices.environment, prices.stripePriceId],
      deletion,
      values: priceRow(environment, object, key, deletion ? new Date(event.created * 1000) : null),
      copy: PRICE_COLUMNS,
    }),
  ];
}
