import type Stripe from 'stripe';
import type { Environment } from '../../../drizzle/schema';
import { isDbUnreachable } from '../../db/errors';
import { AppError } from '../../errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import type { Statement } from '../projection/types';
import { type CatchUpResult, catchUpEvents } from './catch-up';
import { leaseRunStatement, releaseLeaseStatement, takeLease } from './lease';
import { runSlice, type SliceRun } from './run-slice';
import { parseCounts, parseCursor, parseDrift } from './run-state';
import {
  failedAfterUnknownWriteStatement,
  markRunning,
  pickRun,
  type SyncRunRow,
  sliceEndStatements,
} from './runs';
import type { Budget, CallTally } from './stripe-pages';

export const DEFAULT_SLICE_BUDGET_MS = 25_000;
export const DEFAULT_REPAIR_INTERVAL_MINUTES = 360;
/** The lease outlives the slice by this much, so a holder that dies frees it soon after. */
const LEASE_MARGIN_MS = 60_000;

export interface PassOutcome {
  environment: Environment;
  outcome: 'skipped_not_connected' | 'skipped_leased' | 'idle' | 'running' | 'completed' | 'failed';
  runId?: string;
  catchUp?: Pick<CatchUpResult, 'listed' | 'ingested' | 'failed' | 'complete'>;
  error?: string;
  stripeCalls: number;
  dbRoundTrips: number;
}

export function syncSettings(ctx: ServiceContext) {
  return {
    budgetMs: ctx.env.SYNC_SLICE_BUDGET_MS ?? DEFAULT_SLICE_BUDGET_MS,
    repairIntervalMinutes: ctx.env.SYNC_REPAIR_INTERVAL_MINUTES ?? DEFAULT_REPAIR_INTERVAL_MINUTES,
  };
}

/**
 * One pass of one environment, as a cron tick (or POST /sync) runs it: take the lease (or
 * skip: someone else is on it), catch up missed events, then one slice of the run to work on,
 * all inside the wall-time budget; then save the run's state and give the lease back.
 */
export async function runSyncPass(
  ctx: ServiceContext,
  environment: Environment,
  options: { holder: string; allowRepair: boolean },
): Promise<PassOutcome> {
  const { budgetMs, repairIntervalMinutes } = syncSettings(ctx);
  const startedAt = Date.now();
  const budget: Budget = { remaining: () => budgetMs - (Date.now() - startedAt) };
  const tally: CallTally = { stripeCalls: 0, dbRoundTrips: 0 };
  const base = { environment, stripeCalls: 0, dbRoundTrips: 0 };
  let client: Awaited<ReturnType<ServiceContext['stripe']['forEnvironment']>>;
  try {
    client = await ctx.stripe.forEnvironment(environment);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_CONNECTED')
      return { ...base, outcome: 'skipped_not_connected' };
    throw err;
  }
  const lease = await takeLease(ctx.db, environment, options.holder, budgetMs + LEASE_MARGIN_MS);
  if (!lease) return { ...base, outcome: 'skipped_leased' };
  const release: { catchUp?: unknown } = {};
  try {
    const catchUp = await catchUpSafely(
      ctx,
      environment,
      { stripe: client.stripe, budget, tally },
      {
        state: lease.catchUp,
        connectedAt: client.connection.connectedAt,
      },
    );
    if (catchUp) release.catchUp = catchUp.state;
    const outcome = await sliceOfRun(ctx, client.stripe, environment, {
      ...options,
      repairIntervalMinutes,
      budget,
      tally,
      startedAt,
    });
    const summary = catchUp && {
      listed: catchUp.listed,
      ingested: catchUp.ingested,
      failed: catchUp.failed,
      complete: catchUp.complete,
    };
    return { ...outcome, ...(summary ? { catchUp: summary } : {}), ...tally };
  } finally {
    await ctx.db
      .batch([releaseLeaseStatement(ctx.db, environment, options.holder, release.catchUp)])
      .catch((err) =>
        ctx.logger.warn('sync lease not released (it expires)', { environment, error: describe(err) }),
      );
  }
}

/** Catch-up failing (Stripe busy) does not stop the slice; the window is retried next tick. */
async function catchUpSafely(
  ctx: ServiceContext,
  environment: Environment,
  deps: Parameters<typeof catchUpEvents>[1],
  input: { state: unknown; connectedAt: Date },
): Promise<CatchUpResult | null> {
  try {
    return await catchUpEvents(ctx, deps, { environment, ...input });
  } catch (err) {
    if (isDbUnreachable(err) || (err instanceof AppError && err.code === 'DB_UNAVAILABLE')) throw err;
    ctx.logger.warn('missed-event catch-up failed; retried next tick', { environment, error: describe(err) });
    return null;
  }
}

async function sliceOfRun(
  ctx: ServiceContext,
  stripe: Stripe,
  environment: Environment,
  options: {
    holder: string;
    allowRepair: boolean;
    repairIntervalMinutes: number;
    budget: Budget;
    tally: CallTally;
    startedAt: number;
  },
): Promise<Omit<PassOutcome, 'stripeCalls' | 'dbRoundTrips'>> {
  const { db } = ctx;
  const row = await pickRun(db, environment, options);
  if (!row) return { environment, outcome: 'idle' };
  const [[marked]] = (await db.batch([
    markRunning(db, row),
    leaseRunStatement(db, environment, options.holder, row.id),
  ])) as unknown as [[{ startedAt: Date }]];
  const run = sliceRunOf(row, marked?.startedAt ?? row.startedAt, options.tally);
  let status: 'completed' | 'running' | 'failed';
  let error: string | null = null;
  try {
    status = (await runSlice(
      { db, stripe, logger: ctx.logger, budget: options.budget, tally: options.tally },
      run,
    ))
      ? 'completed'
      : 'running';
  } catch (err) {
    status = 'failed';
    error = describe(err);
    run.cursor = { ...run.cursor, failures: run.cursor.failures + 1 };
    ctx.logger.warn('sync slice failed', {
      environment,
      runId: run.id,
      error,
      failures: run.cursor.failures,
    });
  }
  if (run.writeUnknown) {
    const spent = {
      error,
      stripeCalls: options.tally.stripeCalls - run.savedTally.stripeCalls,
      dbRoundTrips: options.tally.dbRoundTrips - run.savedTally.dbRoundTrips,
      durationMs: Date.now() - options.startedAt,
    };
    await saveStatements(ctx, run, [failedAfterUnknownWriteStatement(ctx.db, run.id, spent)]);
    return { environment, outcome: 'failed', runId: run.id, ...(error ? { error } : {}) };
  }
  // What the chunk writes have not saved yet (calls after the last write).
  run.counts.stripeCalls += options.tally.stripeCalls - run.savedTally.stripeCalls;
  run.counts.dbRoundTrips += options.tally.dbRoundTrips - run.savedTally.dbRoundTrips;
  run.counts.slices += 1;
  run.counts.durationMs += Date.now() - options.startedAt;
  await saveStatements(ctx, run, sliceEndStatements(ctx.db, run, { status, error }, run));
  return { environment, outcome: status, runId: run.id, ...(error ? { error } : {}) };
}

/** The slice's end: one round trip; if the database is down it cannot be recorded (the lease expires). */
async function saveStatements(ctx: ServiceContext, run: SliceRun, statements: Statement[]) {
  try {
    await ctx.db.batch(statements as [Statement, ...Statement[]]);
  } catch (err) {
    ctx.logger.error('sync run state not saved', {
      environment: run.environment,
      runId: run.id,
      error: describe(err),
    });
    if (!isDbUnreachable(err)) throw err;
  }
}

function sliceRunOf(row: SyncRunRow, startedAt: Date, tally: CallTally): SliceRun {
  return {
    savedTally: { ...tally },
    id: row.id,
    environment: row.environment,
    startedAt,
    cursor: parseCursor(row.cursor),
    counts: parseCounts(row.counts),
    drift: parseDrift(row.drift),
  };
}

/** A failure in Paywire's words, never SQL or a key. */
function describe(err: unknown): string {
  if (err instanceof AppError) return redact(err.message).slice(0, 500);
  if (isDbUnreachable(err)) return 'the database is unavailable';
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string' && type.startsWith('Stripe'))
    return redact(`Stripe: ${(err as Error).message}`).slice(0, 500);
  return 'the sync failed (details in the log)';
}
