import { getTableName, type SQL, sql } from 'drizzle-orm';
import type { IndexColumn, PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client';
import { isSql, type PreparedStatement, placeholder, prepare } from '../../db/prepared';
import { fromExcluded, guardFor, RECENCY_KEYS, type RecencyColumns } from './recency';
import type { Statement } from './types';

type ColumnKey<T extends PgTable> = keyof T['_']['columns'] & string;

interface UpsertOptions<T extends PgTable> {
  target: IndexColumn | IndexColumn[];
  values: PgInsertValue<T>;
  copy: ReadonlyArray<ColumnKey<T>>;
  /** SET entries that merge instead of copying (coalesce, greatest…); a module constant */
  merge?: Record<string, SQL>;
  deletion?: boolean;
  /** extra condition ANDed to the guard; a module constant */
  also?: SQL;
}

/**
 * The one shape of every projection write: insert the row, or — on the Stripe id — copy the
 * listed columns and the recency key from it, guarded by the recency rule (a deletion also
 * sets the tombstone and lands on any live row).
 *
 * Each distinct shape (table, the columns given, what is copied or merged, the guard) is
 * prepared once per isolate and then only bound (db/prepared.ts): building the drizzle query
 * for every event cost more CPU than everything else on the webhook path. `merge` and `also`
 * hold no per-event values (only columns and `excluded.*`), so they are part of the shape.
 */
export function upsertProjected<T extends PgTable & RecencyColumns>(
  db: Db,
  table: T,
  options: UpsertOptions<T>,
): Statement {
  const values = options.values as Record<string, unknown>;
  const key = shapeKey(table, options, values);
  let prepared = shapes.get(key);
  if (!prepared) {
    prepared = prepareUpsert(db, table, options, values);
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, prepared);
  }
  return prepared.bind(values);
}

/** A few dozen shapes exist; the bound only guards against a caller building `merge` per call. */
const MAX_SHAPES = 512;
const shapes = new Map<string, PreparedStatement>();

function prepareUpsert<T extends PgTable & RecencyColumns>(
  db: Db,
  table: T,
  options: UpsertOptions<T>,
  values: Record<string, unknown>,
): PreparedStatement {
  const copy = [...options.copy, ...RECENCY_KEYS, ...(options.deletion ? ['deletedAt'] : [])] as Array<
    ColumnKey<T>
  >;
  const guard = guardFor(table, options.deletion ?? false);
  const slots: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) slots[name] = isSql(value) ? value : placeholder(name);
  }
  return prepare(
    db
      .insert(table)
      .values(slots as PgInsertValue<T>)
      .onConflictDoUpdate({
        target: options.target,
        set: { ...fromExcluded(table, copy), ...options.merge } as never,
        setWhere: options.also ? (sql`${options.also} and ${guard}` as SQL) : guard,
      }),
  );
}

const fragmentIds = new WeakMap<object, number>();
let nextFragmentId = 0;
function fragmentId(fragment: object | undefined): string {
  if (!fragment) return '';
  let id = fragmentIds.get(fragment);
  if (id === undefined) {
    id = ++nextFragmentId;
    fragmentIds.set(fragment, id);
  }
  return String(id);
}

function shapeKey<T extends PgTable>(
  table: T,
  options: UpsertOptions<T>,
  values: Record<string, unknown>,
): string {
  const targets = Array.isArray(options.target) ? options.target : [options.target];
  let given = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    given += isSql(value) ? `${name}=${fragmentId(value)},` : `${name},`;
  }
  return [
    getTableName(table),
    targets.map((c) => (c as { name: string }).name).join(','),
    given,
    options.copy.join(','),
    fragmentId(options.merge),
    options.deletion ? 'd' : '',
    fragmentId(options.also),
  ].join('|');
}
