import { type SQL, sql } from 'drizzle-orm';
import type { IndexColumn, PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client';
import { fromExcluded, guardFor, RECENCY_KEYS, type RecencyColumns } from './recency';
import type { Statement } from './types';

type ColumnKey<T extends PgTable> = keyof T['_']['columns'] & string;

/**
 * The one shape of every projection write: insert the row, or — on the Stripe id — copy the
 * listed columns and the recency key from it, guarded by the recency rule (a deletion also
 * sets the tombstone and lands on any live row).
 */
export function upsertProjected<T extends PgTable & RecencyColumns>(
  db: Db,
  table: T,
  options: {
    target: IndexColumn | IndexColumn[];
    values: PgInsertValue<T>;
    copy: ReadonlyArray<ColumnKey<T>>;
    /** SET entries that merge instead of copying (coalesce, greatest…) */
    merge?: Record<string, SQL>;
    deletion?: boolean;
    /** extra condition ANDed to the guard */
    also?: SQL;
  },
): Statement {
  const copy = [...options.copy, ...RECENCY_KEYS, ...(options.deletion ? ['deletedAt'] : [])] as Array<
    ColumnKey<T>
  >;
  const guard = guardFor(table, options.deletion ?? false);
  return db
    .insert(table)
    .values(options.values)
    .onConflictDoUpdate({
      target: options.target,
      set: { ...fromExcluded(table, copy), ...options.merge } as never,
      setWhere: options.also ? (sql`${options.also} and ${guard}` as SQL) : guard,
    }) as unknown as Statement;
}
