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

/** What Stripe lets change on a price (amount, currency and interval are fixed once created). */
export interface PriceChanges {
  /** null clears it */
  nickname?: string | null | undefined;
  /** merged; a null value removes that key */
  metadata?: Record<string, string | null> | undefined;
  /** null removes the lookup key */
  lookupKey?: string | null | undefined;
  transferLookupKey?: boolean | undefined;
  active?: boolean | undefined;
}

export interface UpdatePriceInput extends CatalogWriteInput, PriceChanges {
  priceId: string;
}

/** PATCH /admin/v1/:env/prices/:id: nickname, metadata, lookup key (with transfer), active. */
export function updatePrice(ctx: ServiceContext, input: UpdatePriceInput) {
  const { environment, idempotencyKey, priceId, ...changes } = input;
  return writePrice(ctx, input, priceId, 'update', changes);
}

/** One price update in Stripe, projected (shared by update and archive). */
export async function writePrice(
  ctx: ServiceContext,
  input: CatalogWriteInput,
  priceId: string,
  action: 'update' | 'archive',
  changes: PriceChanges,
) {
  const losers =
    changes.transferLookupKey && changes.lookupKey
      ? await pricesHoldingLookupKey(ctx, input.environment, changes.lookupKey, priceId)
      : [];
  return catalogWrite(ctx, {
    kind: 'price',
    action,
    input,
    target: priceId,
    request: changes,
    details: { fields: fieldsSet(changes) },
    call: (stripe, options) => stripe.prices.update(priceId, priceUpdateParams(changes), options),
    related: (stripe) => retrievePrices(stripe, losers),
  });
}

function priceUpdateParams(c: PriceChanges): Stripe.PriceUpdateParams {
  const params: Stripe.PriceUpdateParams = {};
  if (c.nickname !== undefined) params.nickname = c.nickname ?? '';
  if (c.metadata !== undefined) params.metadata = stripeMetadata(c.metadata)!;
  if (c.lookupKey !== undefined) params.lookup_key = c.lookupKey ?? '';
  if (c.transferLookupKey !== undefined) params.transfer_lookup_key = c.transferLookupKey;
  if (c.active !== undefined) params.active = c.active;
  return params;
}
