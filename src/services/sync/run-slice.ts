import type Stripe from 'stripe';
import type { Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import type { Logger } from '../../logger';
import { listData, type StripeObject, str } from '../projection/stripe-object';
import {
  type RunCounts,
  type RunCursor,
  type RunDrift,
  SYNC_RESOURCES,
  type SyncResource,
} from './run-state';
import {
  type Budget,
  type CallTally,
  callStripe,
  isMissingCursor,
  listItemsAfter,
  listPage,
  type Page,
} from './stripe-pages';
import { type PageRead, writeChunk } from './write-chunk';

/** Rows per database write: 5 list pages of 100 (one round trip per 500 rows and resource). */
export const CHUNK_ROWS = 500;

export interface SliceRun {
  id: string;
  environment: Environment;
  startedAt: Date;
  cursor: RunCursor;
  counts: RunCounts;
  drift: RunDrift;
  /** the slice's tally already folded into `counts` (each chunk write saves what it spent) */
  savedTally: CallTally;
  /**
   * A chunk write failed without saying whether it committed (a lost response): the database,
   * not this object, then holds the run's cursor and counts, and the slice's end must not
   * overwrite them.
   */
  writeUnknown?: boolean;
}

export interface SliceDeps {
  db: Db;
  stripe: Stripe;
  logger: Logger;
  budget: Budget;
  tally: CallTally;
}

/**
 * One slice of a pass: lists each resource from the run's cursor, newest first, 100 per page,
 * and writes every CHUNK_ROWS rows (or when time runs short) in one transaction with the
 * advanced cursor. Stops when every resource is done (true) or the budget is spent (false);
 * a Stripe or database failure is thrown with everything before it already saved. The first
 * page is always read, so even a tiny budget makes progress.
 */
export async function runSlice(deps: SliceDeps, run: SliceRun): Promise<boolean> {
  let firstPage = true;
  while (run.cursor.resource < SYNC_RESOURCES.length) {
    const resource = SYNC_RESOURCES[run.cursor.resource]!;
    const finished = await syncResource(deps, run, resource, () => {
      const go = firstPage || deps.budget.remaining() > reserveMs(deps);
      firstPage = false;
      return go;
    });
    if (!finished) return false;
    run.cursor = { resource: run.cursor.resource + 1, startingAfter: null, page: 0, failures: 0 };
  }
  return true;
}

type Timed = SliceDeps & { slowestCallMs?: number; slowestWriteMs?: number };

/**
 * Time kept back for one more page and the write of what is read (grows with what calls and
 * writes have taken), checked BEFORE each list call: pages read are always written before the
 * slice stops, so no page is listed twice when the budget ends.
 */
function reserveMs(deps: Timed) {
  return Math.max(1_000, (deps.slowestCallMs ?? 0) * 2 + (deps.slowestWriteMs ?? 0));
}

async function syncResource(
  deps: Timed,
  run: SliceRun,
  resource: SyncResource,
  mayReadPage: () => boolean,
): Promise<boolean> {
  let pages: PageRead[] = [];
  let rows = 0;
  let cursor = { ...run.cursor };
  for (;;) {
    if (!mayReadPage()) {
      if (pages.length > 0) await flush(deps, run, resource, pages, false, cursor);
      return false;
    }
    const readAt = new Date();
    const page = await readPage(deps, resource, cursor.startingAfter);
    deps.slowestCallMs = Math.max(deps.slowestCallMs ?? 0, Date.now() - readAt.getTime());
    if (page === 'restart') {
      // The cursor's object was deleted meanwhile: list the resource again (seen ids are kept).
      deps.logger.info('sync cursor object gone, relisting', { resource, runId: run.id });
      cursor = { ...cursor, startingAfter: null };
      continue;
    }
    pages.push({ objects: page.data, readAt });
    rows += page.data.length;
    const last = page.data.at(-1);
    cursor = {
      ...cursor,
      startingAfter: last ? str(last, 'id') : cursor.startingAfter,
      page: cursor.page + 1,
    };
    if (!page.hasMore || rows >= CHUNK_ROWS) {
      await flush(deps, run, resource, pages, !page.hasMore, cursor);
      if (!page.hasMore) return true;
      pages = [];
      rows = 0;
    }
  }
}

async function flush(
  deps: Timed,
  run: SliceRun,
  resource: SyncResource,
  pages: PageRead[],
  last: boolean,
  cursor: RunCursor,
) {
  const cursorAfter: RunCursor = last
    ? { resource: run.cursor.resource + 1, startingAfter: null, page: 0, failures: 0 }
    : { ...cursor, failures: 0 };
  const writeStarted = Date.now();
  run.writeUnknown = true;
  await writeChunk(deps.db, {
    environment: run.environment,
    runId: run.id,
    runStartedAt: run.startedAt,
    resource,
    pages,
    last,
    cursorAfter,
    counts: run.counts,
    drift: run.drift,
    unsavedCalls: {
      stripeCalls: deps.tally.stripeCalls - run.savedTally.stripeCalls,
      dbRoundTrips: deps.tally.dbRoundTrips - run.savedTally.dbRoundTrips,
    },
  });
  run.writeUnknown = false;
  deps.slowestWriteMs = Math.max(deps.slowestWriteMs ?? 0, Date.now() - writeStarted);
  deps.tally.dbRoundTrips += 1;
  run.savedTally = { ...deps.tally };
  run.cursor = last ? run.cursor : cursorAfter;
}

async function readPage(
  deps: SliceDeps,
  resource: SyncResource,
  startingAfter: string | null,
): Promise<Page | 'restart'> {
  let page: Page;
  try {
    page = await callStripe(deps.budget, deps.tally, (options) =>
      listPage(deps.stripe, resource, startingAfter, options),
    );
  } catch (err) {
    if (startingAfter && isMissingCursor(err)) return 'restart';
    throw err;
  }
  if (resource === 'subscriptions') await completeItemLists(deps, page.data);
  return page;
}

/** Subscriptions whose embedded item list was cut get the rest from /v1/subscription_items. */
async function completeItemLists(deps: SliceDeps, subscriptions: StripeObject[]) {
  for (const subscription of subscriptions) {
    const items = subscription.items as { data?: StripeObject[]; has_more?: boolean } | undefined;
    if (!items?.has_more) continue;
    const all = [...listData(subscription, 'items')];
    for (let more = true; more; ) {
      const page = await callStripe(deps.budget, deps.tally, (options) =>
        listItemsAfter(deps.stripe, str(subscription, 'id')!, str(all.at(-1), 'id')!, options),
      );
      all.push(...page.data);
      more = page.hasMore && page.data.length > 0;
    }
    subscription.items = { ...items, data: all, has_more: false };
  }
}
