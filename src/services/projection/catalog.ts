import { prices, products } from '../../../drizzle/schema';
import { eventKey, fromExcluded, guardFor, RECENCY_KEYS, recencyValues, TYPE_RANK_DELETED } from './recency';
import { bool, idOf, metadataOf, num, obj, str } from './stripe-object';
import type { ProjectionInput, Statement } from './types';

const PRODUCT_COLUMNS = [
  'name',
  'description',
  'active',
  'defaultPriceId',
  'metadata',
  'stripeCreated',
  'raw',
] as const;

/** product.created|updated|deleted. `updated` (seconds) orders same-second edits. */
export function projectProduct({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deleted = event.type === 'product.deleted';
  const key = eventKey(event, deleted ? TYPE_RANK_DELETED : (num(object, 'updated') ?? 0));
  return [
    db
      .insert(products)
      .values({
        environment,
        stripeProductId: str(object, 'id')!,
        name: str(object, 'name') ?? '',
        description: str(object, 'description'),
        active: deleted ? false : (bool(object, 'active') ?? true),
        defaultPriceId: idOf(object, 'default_price'),
        metadata: metadataOf(object),
        stripeCreated: num(object, 'created'),
        raw: object,
        ...recencyValues(key),
        deletedAt: deleted ? new Date(event.created * 1000) : null,
      })
      .onConflictDoUpdate({
        target: [products.environment, products.stripeProductId],
        set: fromExcluded(products, [
          ...PRODUCT_COLUMNS,
          ...RECENCY_KEYS,
          ...(deleted ? (['deletedAt'] as const) : []),
        ]),
        setWhere: guardFor(products, deleted),
      }),
  ];
}

const PRICE_COLUMNS = [
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

/** price.created|updated|deleted. Prices carry no version field; the event kind and id order them. */
export function projectPrice({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deleted = event.type === 'price.deleted';
  const key = eventKey(event, deleted ? TYPE_RANK_DELETED : 0);
  const recurring = obj(object, 'recurring');
  return [
    db
      .insert(prices)
      .values({
        environment,
        stripePriceId: str(object, 'id')!,
        stripeProductId: idOf(object, 'product') ?? '',
        active: deleted ? false : (bool(object, 'active') ?? true),
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
        deletedAt: deleted ? new Date(event.created * 1000) : null,
      })
      .onConflictDoUpdate({
        target: [prices.environment, prices.stripePriceId],
        set: fromExcluded(prices, [
          ...PRICE_COLUMNS,
          ...RECENCY_KEYS,
          ...(deleted ? (['deletedAt'] as const) : []),
        ]),
        setWhere: guardFor(prices, deleted),
      }),
  ];
}
