import { eq, isNull } from 'drizzle-orm';
import { type Environment, prices, products } from '../../../drizzle/schema';
import { type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type ProductRow = typeof products.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;

/** Mirrored products, newest first. Deleted (tombstoned) ones only with includeDeleted. */
export function listProducts(
  ctx: ServiceContext,
  input: PageRequest & { environment: Environment; active?: boolean; includeDeleted?: boolean },
) {
  return selectPage(
    ctx.db,
    'list products',
    products,
    [
      eq(products.environment, input.environment),
      input.active === undefined ? undefined : eq(products.active, input.active),
      input.includeDeleted ? undefined : isNull(products.deletedAt),
    ],
    input,
  );
}

/** Mirrored prices, newest first, optionally of one product. */
export function listPrices(
  ctx: ServiceContext,
  input: PageRequest & {
    environment: Environment;
    product?: string;
    active?: boolean;
    type?: 'one_time' | 'recurring';
    lookupKey?: string;
    includeDeleted?: boolean;
  },
) {
  return selectPage(
    ctx.db,
    'list prices',
    prices,
    [
      eq(prices.environment, input.environment),
      input.product ? eq(prices.stripeProductId, input.product) : undefined,
      input.active === undefined ? undefined : eq(prices.active, input.active),
      input.type ? eq(prices.type, input.type) : undefined,
      input.lookupKey ? eq(prices.lookupKey, input.lookupKey) : undefined,
      input.includeDeleted ? undefined : isNull(prices.deletedAt),
    ],
    input,
  );
}
