import { prices, products } from '../../../drizzle/schema';
import { eventKey, recencyValues, TYPE_RANK_DELETED } from './recency';
import { bool, idOf, metadataOf, num, obj, str } from './stripe-object';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

/** product.created|updated|deleted. `updated` (seconds) orders same-second edits. */
export function projectProduct({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deletion = event.type === 'product.deleted';
  const key = eventKey(event, deletion ? TYPE_RANK_DELETED : (num(object, 'updated') ?? 0));
  return [
    upsertProjected(db, products, {
      target: [products.environment, products.stripeProductId],
      deletion,
      values: {
        environment,
        stripeProductId: str(object, 'id')!,
        name: str(object, 'name') ?? '',
        description: str(object, 'description'),
        active: deletion ? false : (bool(object, 'active') ?? true),
        defaultPriceId: idOf(object, 'default_price'),
        metadata: metadataOf(object),
        stripeCreated: num(object, 'created'),
        raw: object,
        ...recencyValues(key),
        deletedAt: deletion ? new Date(event.created * 1000) : null,
      },
      copy: ['name', 'description', 'active', 'defaultPriceId', 'metadata', 'stripeCreated', 'raw'],
    }),
  ];
}

/** price.created|updated|deleted. Prices carry no version field; the event kind and id order them. */
export function projectPrice({ db, environment, event, object }: ProjectionInput): Statement[] {
  const deletion = event.type === 'price.deleted';
  const key = eventKey(event, deletion ? TYPE_RANK_DELETED : 0);
  const recurring = obj(object, 'recurring');
  return [
    upsertProjected(db, prices, {
      target: [prices.environment, prices.stripePriceId],
      deletion,
      values: {
        environment,
        stripePriceId: str(object, 'id')!,
        stripeProductId: idOf(object, 'product') ?? '',
        active: deletion ? false : (bool(object, 'active') ?? true),
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
        deletedAt: deletion ? new Date(event.created * 1000) : null,
      },
      copy: [
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
      ],
    }),
  ];
}
