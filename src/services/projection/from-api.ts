import { and, eq, getTableColumns, inArray, notInArray, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import {
  customerMappings,
  customers,
  type Environment,
  prices,
  products,
  subscriptionItems,
  subscriptions,
} from '../../../drizzle/schema';
import type { ServiceContext } from '../context';
import { PRICE_COLUMNS, PRODUCT_COLUMNS, priceRow, productRank, productRow } from './catalog';
import { CUSTOMER_COLUMNS, customerRow } from './customers';
import { fromExcluded, RECENCY_KEYS, type RecencyColumns, type RecencyKey, TYPE_RANK_OTHER } from './recency';
import { listIsComplete, type StripeObject, str } from './stripe-object';
import { type Subject, subjectFromMetadata } from './subjects';
import {
  ITEM_COLUMNS,
  itemRow,
  SUBSCRIPTION_COLUMNS,
  SUBSCRIPTION_SUBJECT_MERGE,
  subscriptionFacts,
  subscriptionRank,
  subscriptionRow,
} from './subscriptions';
import type { Statement } from './types';

/**
 * Rows written from what the Stripe API returned (a sync's list pages, a catalog write's
 * response) rather than from an event. They go through the same recency rule as webhooks:
 *
 *   key = (readAt seconds, objectRank * 10 + 1, 'api_<readAt ms>')
 *
 * `readAt` is when the request was SENT (a read reflects Stripe at some instant after that).
 * An event created in a later second beats the read, so a sync that read an object before a
 * newer webhook landed cannot roll it back; an event of an earlier second loses, so an older
 * webhook cannot overwrite what the read saw. Within the same second the object's own version
 * signal decides (product `updated`, subscription status), then the event wins the tie
 * ('evt_…' > 'api_…'): a read is never trusted over an event it cannot be ordered against.
 * Two API reads of the same second are ordered by their milliseconds.
 *
 * Unlike an event, a read writes only when a projected column differs (`raw` alone does not
 * count), so a repair pass over an unchanged account rewrites nothing and app triggers stay
 * quiet. A row tombstoned at least one second before the read, whose object Stripe still
 * lists, is revived: nothing in Stripe comes back from deletion, so that tombstone was wrong.
 */
export type ApiResource = 'products' | 'prices' | 'customers' | 'subscriptions';

export const API_RESOURCES: readonly ApiResource[] = ['products', 'prices', 'customers', 'subscriptions'];

type DbContext = Pick<ServiceContext, 'db'>;

/** The recency key of an API read sent at `readAt` for an object of version signal `objectRank`. */
export function apiReadKey(readAt: Date, objectRank = 0): RecencyKey {
  const ms = readAt.getTime();
  return {
    ts: Math.floor(ms / 1000),
    rank: objectRank * 10 + TYPE_RANK_OTHER,
    eventId: `api_${String(ms).padStart(13, '0')}`,
  };
}

/**
 * The statements that write `objects` (one resource kind, read at `readAt`) as multi-row
 * upserts. The FIRST statement is the upsert of the objects themselves and returns one row per
 * row it inserted or changed: `{ stripeId, inserted }`. Objects Stripe reports as deleted
 * (`deleted: true`) are tombstoned instead. Safe to run in the same `db.batch` as other work.
 */
export function statementsFromApi(
  ctx: DbContext,
  environment: Environment,
  kind: ApiResource,
  objects: readonly StripeObject[],
  readAt: Date,
): [Statement, ...Statement[]] {
  const live = latestById(objects.filter((o) => o.deleted !== true));
  const deletedIds = objects.filter((o) => o.deleted === true).map((o) => str(o, 'id')!);
  const statements = upsertsFor(ctx, environment, kind, live, readAt);
  if (deletedIds.length > 0) statements.push(tombstonesFromApi(ctx, environment, kind, deletedIds, readAt));
  return statements as [Statement, ...Statement[]];
}

function upsertsFor(
  ctx: DbContext,
  environment: Environment,
  kind: ApiResource,
  objects: StripeObject[],
  readAt: Date,
): Statement[] {
  switch (kind) {
    case 'products':
      return [
        upsertFromApi(ctx, products, {
          idColumn: products.stripeProductId,
          rows: objects.map((o) => productRow(environment, o, apiReadKey(readAt, productRank(o)))),
          compare: PRODUCT_COLUMNS,
        }),
      ];
    case 'prices':
      return [
        upsertFromApi(ctx, prices, {
          idColumn: prices.stripePriceId,
          rows: objects.map((o) => priceRow(environment, o, apiReadKey(readAt))),
          compare: PRICE_COLUMNS,
        }),
      ];
    case 'customers':
      return [
        upsertFromApi(ctx, customers, {
          idColumn: customers.stripeCustomerId,
          rows: objects.map((o) => customerRow(environment, o, apiReadKey(readAt))),
          compare: CUSTOMER_COLUMNS,
        }),
        ...mappingsFromMetadata(
          ctx,
          environment,
          objects.map((o) => ({ subject: subjectFromMetadata(o), stripeCustomerId: str(o, 'id') })),
        ),
      ];
    case 'subscriptions':
      return subscriptionStatements(ctx, environment, objects, readAt);
    default:
      throw new Error(`unknown API resource ${kind satisfies never}`);
  }
}

function subscriptionStatements(
  ctx: DbContext,
  environment: Environment,
  objects: StripeObject[],
  readAt: Date,
): Statement[] {
  const facts = objects.map((o) => ({
    object: o,
    s: subscriptionFacts(o, apiReadKey(readAt, subscriptionRank(o))),
  }));
  const items = latestById(
    facts.flatMap(({ s }) => s.items.map((item) => ({ item, s }))),
    (x) => str(x.item, 'id'),
  );
  const statements: Statement[] = [
    upsertFromApi(ctx, subscriptions, {
      idColumn: subscriptions.stripeSubscriptionId,
      rows: facts.map(({ object, s }) => subscriptionRow(environment, object, s)),
      compare: SUBSCRIPTION_COLUMNS,
      merge: SUBSCRIPTION_SUBJECT_MERGE,
    }),
  ];
  if (items.length > 0) {
    statements.push(
      upsertFromApi(ctx, subscriptionItems, {
        idColumn: subscriptionItems.stripeSubscriptionItemId,
        rows: items.map(({ item, s }) => itemRow(environment, s, item)),
        compare: ITEM_COLUMNS,
      }),
    );
  }
  const complete = facts.filter(({ object }) => listIsComplete(object, 'items')).map(({ s }) => s);
  if (complete.length > 0) {
    const present = complete.flatMap((s) =>
      s.items.map((i) => str(i, 'id')).filter((id): id is string => !!id),
    );
    statements.push(
      removedItemsTombstone(
        ctx,
        environment,
        complete.map((s) => s.stripeSubscriptionId),
        present,
        readAt,
      ),
    );
  }
  statements.push(
    ...mappingsFromMetadata(
      ctx,
      environment,
      facts.map(({ s }) => ({ subject: s.subject, stripeCustomerId: s.stripeCustomerId || null })),
    ),
  );
  return statements;
}

/**
 * Items missing from a subscription's complete item list were removed: tombstoned when the
 * item row's state is older than the read (rank 0: a same-second event keeps the row).
 */
function removedItemsTombstone(
  { db }: DbContext,
  environment: Environment,
  subscriptionIds: string[],
  presentItemIds: string[],
  readAt: Date,
): Statement {
  const key = { ...apiReadKey(readAt), rank: 0 };
  return db
    .update(subscriptionItems)
    .set({ deletedAt: readAt, sourceTs: key.ts, sourceRank: key.rank, sourceEventId: key.eventId })
    .where(
      and(
        eq(subscriptionItems.environment, environment),
        inArray(subscriptionItems.stripeSubscriptionId, subscriptionIds),
        presentItemIds.length > 0
          ? notInArray(subscriptionItems.stripeSubscriptionItemId, presentItemIds)
          : undefined,
        sql`${subscriptionItems.deletedAt} is null`,
        sql`(${key.ts}::bigint, ${key.rank}::bigint, ${key.eventId}::text) > (${subscriptionItems.sourceTs}, ${subscriptionItems.sourceRank}, ${subscriptionItems.sourceEventId})`,
      ),
    ) as unknown as Statement;
}

/**
 * Subject ↔ customer mappings carried in metadata, one multi-row insert: the first mapping wins
 * (see mapCustomer); a `metadata` mapping never upgrades another source, so no update follows.
 */
function mappingsFromMetadata(
  { db }: DbContext,
  environment: Environment,
  pairs: Array<{ subject: Subject | null; stripeCustomerId: string | null }>,
): Statement[] {
  const rows = pairs
    .filter((p): p is { subject: Subject; stripeCustomerId: string } => !!p.subject && !!p.stripeCustomerId)
    .map((p) => ({ environment, ...p.subject, stripeCustomerId: p.stripeCustomerId, source: 'metadata' }));
  if (rows.length === 0) return [];
  return [db.insert(customerMappings).values(rows).onConflictDoNothing() as unknown as Statement];
}

type ColumnKey<T extends PgTable> = keyof T['_']['columns'] & string;

/** One multi-row guarded upsert returning `{ stripeId, inserted }` per row written. */
function upsertFromApi<T extends PgTable & RecencyColumns>(
  { db }: DbContext,
  table: T,
  options: {
    idColumn: T['_']['columns'][string];
    rows: Array<T['$inferInsert']>;
    compare: ReadonlyArray<ColumnKey<T>>;
    merge?: Record<string, SQL>;
  },
): Statement {
  const compared = options.compare.filter((c) => c !== 'raw');
  const copy = [...options.compare, ...RECENCY_KEYS, 'deletedAt'] as Array<ColumnKey<T>>;
  const target = [
    (table as unknown as { environment: T['_']['columns'][string] }).environment,
    options.idColumn,
  ];
  if (options.rows.length === 0) {
    // Nothing to write: a statement that returns no row keeps "the first statement" contract.
    return db
      .select({ stripeId: sql<string>`null` })
      .from(products)
      .where(sql`false`) as unknown as Statement;
  }
  return db
    .insert(table)
    .values(options.rows as never)
    .onConflictDoUpdate({
      target,
      set: { ...fromExcluded(table, copy), ...options.merge } as never,
      setWhere: apiGuard(table, compared),
    })
    .returning({
      stripeId: sql<string>`${options.idColumn}`,
      inserted: sql<boolean>`(xmax = 0)`,
    }) as unknown as Statement;
}

/** Newer than the stored key; a live row, or one tombstoned before the read; and different. */
function apiGuard<T extends PgTable & RecencyColumns>(table: T, compared: ReadonlyArray<string>): SQL {
  const columns = getTableColumns(table);
  const names = [...compared.map((k) => columns[k]!.name), 'deleted_at'];
  const stored = sql.join(
    names.map((n) => sql`${table}.${sql.identifier(n)}`),
    sql`, `,
  );
  const incoming = sql.raw(names.map((n) => `excluded."${n}"`).join(', '));
  return sql`(excluded.source_ts, excluded.source_rank, excluded.source_event_id) > (${table.sourceTs}, ${table.sourceRank}, ${table.sourceEventId})
    and (${table.deletedAt} is null or ${table.sourceTs} < excluded.source_ts)
    and (${stored}) is distinct from (${incoming})`;
}

/**
 * Objects Stripe says are deleted (a DELETE response, or gone from a complete listing):
 * tombstoned like a `*.deleted` event, on any live row whatever its key.
 */
export function tombstonesFromApi(
  { db }: DbContext,
  environment: Environment,
  kind: ApiResource,
  stripeIds: readonly string[],
  readAt: Date,
): Statement {
  const key = apiReadKey(readAt, 9);
  const tombstone = { deletedAt: readAt, sourceTs: key.ts, sourceRank: key.rank, sourceEventId: key.eventId };
  const ids = [...stripeIds];
  switch (kind) {
    case 'products':
      return db
        .update(products)
        .set({ ...tombstone, active: false })
        .where(
          and(
            eq(products.environment, environment),
            inArray(products.stripeProductId, ids),
            sql`${products.deletedAt} is null`,
          ),
        )
        .returning({ stripeId: products.stripeProductId }) as unknown as Statement;
    case 'prices':
      return db
        .update(prices)
        .set({ ...tombstone, active: false })
        .where(
          and(
            eq(prices.environment, environment),
            inArray(prices.stripePriceId, ids),
            sql`${prices.deletedAt} is null`,
          ),
        )
        .returning({ stripeId: prices.stripePriceId }) as unknown as Statement;
    case 'customers':
      return db
        .update(customers)
        .set(tombstone)
        .where(
          and(
            eq(customers.environment, environment),
            inArray(customers.stripeCustomerId, ids),
            sql`${customers.deletedAt} is null`,
          ),
        )
        .returning({ stripeId: customers.stripeCustomerId }) as unknown as Statement;
    case 'subscriptions':
      return db
        .update(subscriptions)
        .set(tombstone)
        .where(
          and(
            eq(subscriptions.environment, environment),
            inArray(subscriptions.stripeSubscriptionId, ids),
            sql`${subscriptions.deletedAt} is null`,
          ),
        )
        .returning({ stripeId: subscriptions.stripeSubscriptionId }) as unknown as Statement;
    default:
      throw new Error(`unknown API resource ${kind satisfies never}`);
  }
}

/** One entry per id, the last one listed winning (a page boundary can repeat an object). */
function latestById<T>(
  entries: readonly T[],
  idOf: (e: T) => string | null = (e) => str(e as StripeObject, 'id'),
): T[] {
  const byId = new Map<string, T>();
  for (const e of entries) {
    const id = idOf(e);
    if (id) byId.set(id, e);
  }
  return [...byId.values()];
}
