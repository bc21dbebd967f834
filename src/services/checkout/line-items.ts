import { and, eq, inArray, isNull, or } from 'drizzle-orm';
import { type Environment, prices } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { AppError } from '../../errors';
import type { CreateCheckoutSessionInput } from './input';

export type PriceRow = Pick<
  typeof prices.$inferSelect,
  'stripePriceId' | 'lookupKey' | 'active' | 'type' | 'currency'
>;

/** The projected prices the line items name (by id or lookup key), in one statement of the first batch. */
export function selectLineItemPrices(
  db: Db,
  environment: Environment,
  items: CreateCheckoutSessionInput['lineItems'],
) {
  const ids = items.flatMap((i) => (i.price ? [i.price] : []));
  const keys = items.flatMap((i) => (i.lookupKey ? [i.lookupKey] : []));
  const named = [
    ...(ids.length ? [inArray(prices.stripePriceId, ids)] : []),
    ...(keys.length ? [inArray(prices.lookupKey, keys)] : []),
  ];
  return db
    .select({
      stripePriceId: prices.stripePriceId,
      lookupKey: prices.lookupKey,
      active: prices.active,
      type: prices.type,
      currency: prices.currency,
    })
    .from(prices)
    .where(and(eq(prices.environment, environment), isNull(prices.deletedAt), or(...named)));
}

/**
 * Stripe line items from the request: each price must be known to Paywire (projected from
 * Stripe), active, of the mode's kind (a subscription needs a recurring price; a payment takes
 * one-time prices only) and of one currency. Every refusal is a 400 naming the item.
 */
export function resolveLineItems(
  input: Pick<CreateCheckoutSessionInput, 'mode' | 'lineItems'>,
  rows: PriceRow[],
): Array<{ price: string; quantity: number }> {
  const resolved = input.lineItems.map((item, index) => {
    const field = `lineItems.${index}.${item.price ? 'price' : 'lookupKey'}`;
    const matches = item.price
      ? rows.filter((r) => r.stripePriceId === item.price)
      : rows.filter((r) => r.lookupKey === item.lookupKey);
    // A lookup key moves between prices (transfer_lookup_key); the active holder wins.
    const row = matches.find((r) => r.active) ?? matches[0];
    const named = item.price ? `price ${item.price}` : `lookup key "${item.lookupKey}"`;
    if (!row) throw badItem(field, `Unknown ${named}`);
    if (!row.active) throw badItem(field, `The ${named} is inactive`);
    if (input.mode === 'payment' && row.type === 'recurring')
      throw badItem(field, `The ${named} is recurring: use mode "subscription"`);
    return { price: row.stripePriceId, quantity: item.quantity, type: row.type, currency: row.currency };
  });
  if (input.mode === 'subscription' && !resolved.some((r) => r.type === 'recurring'))
    throw badItem('lineItems', 'A subscription needs at least one recurring price');
  if (new Set(resolved.map((r) => r.currency)).size > 1)
    throw badItem('lineItems', 'All prices of one session must have the same currency');
  return resolved.map(({ price, quantity }) => ({ price, quantity }));
}

function badItem(field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', `${field}: ${message}`, { details: { field } });
}
