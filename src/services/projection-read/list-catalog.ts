import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { type Environment, prices, products } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { afterCursor } from '../../db/keyset';
import { pageOf } from '../../http/pagination';

export type ProductRow = typeof products.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;

interface Page {
  limit: number;
  cursor?: string;
}

/** Mirrored products, newest first. Deleted (tombstoned) ones only with includeDeleted. */
export async function listProducts(
  db: Db,
  environment: Environment,
  filters: Page & { active?: boolean; includeDeleted?: boolean },
) {
  const conditions: Array<SQL | undefined> = [
    eq(products.environment, environment),
    filters.active === undefined ? undefined : eq(products.active, filters.active),
    filters.includeDeleted ? undefined : isNull(products.deletedAt),
    afterCursor(filters.cursor, products.createdAt, products.id),
  ];
  const rows = await dbCall('list products', () =>
    db
      .select()
      .from(products)
      .where(and(...conditions))
      .orderBy(desc(products.createdAt), desc(products.id))
      .limit(filters.limit + 1),
  );
  return pageOf(rows, filters.limit);
}

/** Mirrored prices, newest first, optionally of one product. */
export async function listPrices(
  db: Db,
  environment: Environment,
  filters: Page & {
    product?: string;
    active?: boolean;
    type?: 'one_time' | 'recurring';
    lookupKey?: string;
    includeDeleted?: boolean;
  },
) {
  const conditions: Array<SQL | undefined> = [
    eq(prices.environment, environment),
    filters.product ? eq(prices.stripeProductId, filters.product) : undefined,
    filters.active === undefined ? undefined : eq(prices.active, filters.active),
    filters.type ? eq(prices.type, filters.type) : undefined,
    filters.lookupKey ? eq(prices.lookupKey, filters.lookupKey) : undefined,
    filters.includeDeleted ? undefined : isNull(prices.deletedAt),
    afterCursor(filters.cursor, prices.createdAt, prices.id),
  ];
  const rows = await dbCall('list prices', () =>
    db
      .select()
      .from(prices)
      .where(and(...conditions))
      .orderBy(desc(prices.createdAt), desc(prices.id))
      .limit(filters.limit + 1),
  );
  return pageOf(rows, filters.limit);
}
