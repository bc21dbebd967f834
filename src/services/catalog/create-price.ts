import type Stripe from 'stripe';
import type { ServiceContext } from '../context';
import {
  type CatalogWriteInput,
  catalogWrite,
  fieldsSet,
  pricesHoldingLookupKey,
  retrievePrices,
  stripeMetadata,
} from './catalog-write';

export interface PriceDefinition {
  productId: string;
  /** ISO code, lower case */
  currency: string;
  /** in the currency's smallest unit */
  unitAmount: number;
  recurring?:
    | {
        interval: 'day' | 'week' | 'month' | 'year';
        intervalCount?: number | undefined;
        trialPeriodDays?: number | undefined;
      }
    | undefined;
  lookupKey?: string | undefined;
  /** move `lookupKey` from the price holding it to this one */
  transferLookupKey?: boolean | undefined;
  nickname?: string | undefined;
  metadata?: Record<string, string> | undefined;
  active?: boolean | undefined;
}

export type CreatePriceInput = CatalogWriteInput & PriceDefinition;

/** POST /admin/v1/:env/prices: one-time or recurring price of a product, projected before answering. */
export async function createPrice(ctx: ServiceContext, input: CreatePriceInput) {
  const { environment, idempotencyKey, ...request } = input;
  const losers =
    request.transferLookupKey && request.lookupKey
      ? await pricesHoldingLookupKey(ctx, environment, request.lookupKey)
      : [];
  return catalogWrite(ctx, {
    kind: 'price',
    action: 'create',
    input,
    target: null,
    request,
    details: { fields: fieldsSet(request), productId: request.productId },
    call: (stripe, options) => stripe.prices.create(priceCreateParams(request), options),
    related: (stripe) => retrievePrices(stripe, losers),
  });
}

export function priceCreateParams(d: PriceDefinition): Stripe.PriceCreateParams {
  const params: Stripe.PriceCreateParams = {
    product: d.productId,
    currency: d.currency,
    unit_amount: d.unitAmount,
  };
  if (d.recurring) {
    params.recurring = {
      interval: d.recurring.interval,
      ...(d.recurring.intervalCount !== undefined ? { interval_count: d.recurring.intervalCount } : {}),
      ...(d.recurring.trialPeriodDays !== undefined
        ? { trial_period_days: d.recurring.trialPeriodDays }
        : {}),
    };
  }
  if (d.lookupKey !== undefined) params.lookup_key = d.lookupKey;
  if (d.transferLookupKey !== undefined) params.transfer_lookup_key = d.transferLookupKey;
  if (d.nickname !== undefined) params.nickname = d.nickname;
  if (d.metadata !== undefined) params.metadata = stripeMetadata(d.metadata)!;
  if (d.active !== undefined) params.active = d.active;
  return params;
}
