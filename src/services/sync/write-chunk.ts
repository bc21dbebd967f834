import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  customers,
  type Environment,
  prices,
  products,
  subscriptionItems,
  subscriptions,
  syncSeen,
} from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { apiReadKey, statementsFromApi } from '../projection/from-api';
import { bool, type StripeObject, str } from '../projection/stripe-object';
import type { Statement } from '../projection/types';
import {
  type RunCounts,
  type RunCursor,
  type RunDrift,
  resourceCounts,
  resourceDrift,
  type SyncResource,
} from './run-state';
import { progressStatement } from './runs';

/** List pages read but not yet written; a chunk is written in ONE db.batch. */
export interface PageRead {
  objects: StripeObject[];
  readAt: Date;
}

export interface ChunkInput {
  environment: Environment;
  runId: string;
  /** when the run started: rows whose state is older and that the run did not see are swept */
  runStartedAt: Date;
  resource: SyncResource;
  pages: PageRead[];
  /** the last page of the resource is among `pages`: sweep what the run did not see */
  last: boolean;
  /** the run's cursor once this chunk is written */
  cursorAfter: RunCursor;
  /** counts and drift as of before this chunk; seen/pages/round trips of the chunk are added and
   * saved with it, the outcome split and drift of the chunk after it (saved with the next write) */
  counts: RunCounts;
  drift: RunDrift;
  /** Stripe calls and round trips of the slice not yet in `counts` (this write adds 1 trip) */
  unsavedCalls?: { stripeCalls: number; dbRoundTrips: number };
}

const SAMPLE = 10;

const TABLES = {
  products: { table: products, id: products.stripeProductId },
  prices: { table: prices, id: prices.stripePriceId },
  customers: { table: customers, id: customers.stripeCustomerId },
  subscriptions: { table: subscriptions, id: subscriptions.stripeSubscriptionId },
} as const;

/**
 * Writes a chunk of list pages in ONE round trip (one transaction): what the rows looked like
 * before (for the drift report), the multi-row upserts of every page, the ids seen, on the
 * resource's last page the sweep of rows Stripe no longer has, and the run's cursor, so the
 * cursor never points past rows that were not written, and the counts of what was read. Then
 * counts the outcome (inserted/updated/unchanged/tombstoned, drift) into `counts`/`drift`.
 */
export async function writeChunk(db: Db, input: ChunkInput): Promise<void> {
  const { environment, resource, pages } = input;
  const objects = pages.flatMap((p) => p.objects);
  const ids = [...new Set(objects.map((o) => str(o, 'id')).filter((id): id is string => !!id))];
  const statements: Statement[] = [previousRows(db, environment, resource, ids)];
  const upsertAt: number[] = [];
  for (const page of pages) {
    upsertAt.push(statements.length);
    statements.push(...statementsFromApi({ db }, environment, resource, page.objects, page.readAt));
  }
  if (ids.length > 0) statements.push(seenStatement(db, input, ids));
  const sweepAt = statements.length;
  if (input.last) statements.push(...sweepStatements(db, input, pages.at(-1)?.readAt ?? new Date()));
  // What is known before the write (ids seen, pages, this round trip) is counted INTO the saved
  // counts, so they commit or roll back with the rows and cursor: never lost, never doubled.
  // (A copy: if the write fails, the in-memory counts stay as the database has them.)
  const countsAfter = structuredClone(input.counts);
  const counts = resourceCounts(countsAfter, resource);
  counts.seen += ids.length;
  counts.pages += pages.length;
  counts.dbRoundTrips += 1;
  countsAfter.stripeCalls += input.unsavedCalls?.stripeCalls ?? 0;
  countsAfter.dbRoundTrips += (input.unsavedCalls?.dbRoundTrips ?? 0) + 1;
  statements.push(
    progressStatement(db, input.runId, {
      cursor: input.cursorAfter,
      counts: countsAfter,
      drift: input.drift,
    }),
  );

  const results = (await db.batch(statements as [Statement, ...Statement[]])) as unknown[][];
  Object.assign(input.counts, countsAfter);
  const written = upsertAt.flatMap((i) => results[i] as Array<{ stripeId: string; inserted: boolean }>);
  const removed = input.last ? (results[sweepAt] as Array<{ stripeId: string }>).map((r) => r.stripeId) : [];
  tally(input, objects, ids.length, results[0] as PreviousRow[], written, removed);
}

interface PreviousRow {
  stripeId: string;
  active: boolean | null;
  status: string | null;
  deleted: boolean;
}

function tally(
  input: ChunkInput,
  objects: StripeObject[],
  seen: number,
  previous: PreviousRow[],
  written: Array<{ stripeId: string; inserted: boolean }>,
  removed: string[],
) {
  const counts = resourceCounts(input.counts, input.resource);
  const drift = resourceDrift(input.drift, input.resource);
  const before = new Map(previous.map((r) => [r.stripeId, r]));
  const now = new Map(objects.map((o) => [str(o, 'id'), o]));
  const unique = [...new Map(written.map((w) => [w.stripeId, w])).values()];
  for (const w of unique) {
    if (w.inserted) {
      counts.inserted++;
      drift.added++;
    } else {
      counts.updated++;
      if (wasArchived(input.resource, before.get(w.stripeId), now.get(w.stripeId))) drift.archived++;
      else drift.corrected++;
    }
    if (drift.sample.length < SAMPLE) drift.sample.push(w.stripeId);
  }
  counts.unchanged += seen - unique.length;
  counts.tombstoned += removed.length;
  drift.removed += removed.length;
  for (const id of removed) if (drift.sample.length < SAMPLE) drift.sample.push(id);
}

/** A live, active product/price that Stripe now shows archived; a subscription now canceled. */
function wasArchived(
  resource: SyncResource,
  before: PreviousRow | undefined,
  object: StripeObject | undefined,
) {
  if (!before || before.deleted || !object) return false;
  if (resource === 'subscriptions')
    return before.status !== 'canceled' && str(object, 'status') === 'canceled';
  if (resource === 'products' || resource === 'prices')
    return before.active === true && bool(object, 'active') === false;
  return false;
}

function previousRows(db: Db, environment: Environment, resource: SyncResource, ids: string[]): Statement {
  const { table, id } = TABLES[resource];
  const active = 'active' in table ? sql<boolean>`${table.active}` : sql<boolean>`null`;
  const status = 'status' in table ? sql<string>`${table.status}` : sql<string>`null`;
  return db
    .select({
      stripeId: sql<string>`${id}`,
      active,
      status,
      deleted: sql<boolean>`${table.deletedAt} is not null`,
    })
    .from(table as typeof products)
    .where(
      and(eq(table.environment, environment), ids.length > 0 ? inArray(id, ids) : sql`false`),
    ) as unknown as Statement;
}

function seenStatement(db: Db, input: ChunkInput, ids: string[]): Statement {
  return db
    .insert(syncSeen)
    .values(
      ids.map((stripeId) => ({
        environment: input.environment,
        runId: input.runId,
        resource: input.resource,
        stripeId,
      })),
    )
    .onConflictDoNothing() as unknown as Statement;
}

/**
 * After the last page: rows of the environment that are alive, whose state is older than the
 * run (a row a webhook wrote after the pass began is left alone) and whose id the run did not
 * list, are gone from Stripe: tombstoned (products and prices also inactive). Items of removed
 * subscriptions go with them. The run's seen ids are then dropped.
 */
function sweepStatements(db: Db, input: ChunkInput, readAt: Date): Statement[] {
  const { table, id } = TABLES[input.resource];
  const key = apiReadKey(readAt, 9);
  const runStartTs = Math.floor(input.runStartedAt.getTime() / 1000);
  const notSeen = sql`not exists (select 1 from ${syncSeen} s where s.run_id = ${input.runId} and s.resource = ${input.resource} and s.stripe_id = ${id})`;
  const set = {
    deletedAt: readAt,
    sourceTs: key.ts,
    sourceRank: key.rank,
    sourceEventId: key.eventId,
    updatedAt: sql`now()`,
    ...('active' in table ? { active: false } : {}),
  };
  const statements: Statement[] = [
    db
      .update(table as typeof products)
      .set(set as never)
      .where(
        and(
          eq(table.environment, input.environment),
          sql`${table.deletedAt} is null`,
          sql`${table.sourceTs} < ${runStartTs}`,
          notSeen,
        ),
      )
      .returning({ stripeId: sql<string>`${id}` }) as unknown as Statement,
  ];
  if (input.resource === 'subscriptions') {
    statements.push(
      db
        .update(subscriptionItems)
        .set({ deletedAt: readAt, sourceTs: key.ts, sourceRank: key.rank, sourceEventId: key.eventId })
        .where(
          and(
            eq(subscriptionItems.environment, input.environment),
            sql`${subscriptionItems.deletedAt} is null`,
            sql`${subscriptionItems.stripeSubscriptionId} in (select ${subscriptions.stripeSubscriptionId} from ${subscriptions} where ${subscriptions.environment} = ${input.environment} and ${subscriptions.deletedAt} is not null)`,
          ),
        ) as unknown as Statement,
    );
  }
  statements.push(
    db
      .delete(syncSeen)
      .where(
        and(eq(syncSeen.runId, input.runId), eq(syncSeen.resource, input.resource)),
      ) as unknown as Statement,
  );
  return statements;
}
