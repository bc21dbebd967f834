import { and, asc, count, eq } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import { dbCall, isDbUnreachable, toDbError } from '../../db/errors';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { transactionDeliveriesStatement } from '../outbox/event-deliveries';
import { lockStatement } from '../projection';
import type { StripeEventLike } from '../projection/stripe-object';
import type { Statement } from '../projection/types';
import { enqueueAfterCommit, ingestEvent, ingestStatements } from './ingest-event';
import { storedEnvelope } from './retry-event';

/** At most this many events per call: one invocation's subrequests and CPU stay well inside Workers limits. */
export const RETRY_FAILED_MAX = 100;

export interface RetryOutcome {
  eventId: string;
  status: 'processed' | 'duplicate' | 'ignored' | 'failed';
  error?: string;
}

export interface RetryReport {
  attempted: number;
  processed: number;
  failed: number;
  /** failed events still waiting after this call (call again to continue) */
  remaining: number;
  results: RetryOutcome[];
}

/**
 * Retries failed events oldest first, up to `limit`. The common case costs two round trips:
 * read the events (and how many are failed), then replay them all with the audit entry in ONE
 * transaction. If that transaction fails, each event is replayed on its own (each with its
 * audit entry), so one bad event does not hold back the others. Nothing to retry: no write.
 */
export async function retryFailedEvents(
  ctx: ServiceContext,
  input: { environment: Environment; limit: number },
): Promise<RetryReport> {
  const { environment } = input;
  const limit = Math.min(input.limit, RETRY_FAILED_MAX);
  const { rows, failedTotal } = await readFailed(ctx, environment, limit);
  if (rows.length === 0)
    return { attempted: 0, processed: 0, failed: 0, remaining: failedTotal, results: [] };

  const ready: StripeEventLike[] = [];
  const results: RetryOutcome[] = [];
  for (const row of rows) {
    const envelope = storedEnvelope(row);
    if (envelope.ok) ready.push(envelope.event);
    else results.push({ eventId: row.stripeEventId, status: 'failed', error: envelope.reason });
  }
  const replayed = ready.length > 0 ? await replayTogether(ctx, environment, ready, results) : null;
  results.push(...(replayed ?? (await replayOneByOne(ctx, environment, ready))));

  const processed = results.filter((r) => r.status !== 'failed').length;
  return {
    attempted: results.length,
    processed: results.filter((r) => r.status === 'processed').length,
    failed: results.length - processed,
    remaining: Math.max(0, failedTotal - processed),
    results,
  };
}

async function readFailed(ctx: ServiceContext, environment: Environment, limit: number) {
  const { db } = ctx;
  const isFailed = and(
    eq(webhookEvents.environment, environment),
    eq(webhookEvents.processingStatus, 'failed'),
  );
  const [rows, [total]] = await dbCall('list failed events', () =>
    db.batch([
      db
        .select({
          stripeEventId: webhookEvents.stripeEventId,
          payload: webhookEvents.payload,
          rawBody: webhookEvents.rawBody,
          rawBodyEncoding: webhookEvents.rawBodyEncoding,
        })
        .from(webhookEvents)
        .where(isFailed)
        .orderBy(asc(webhookEvents.stripeCreated), asc(webhookEvents.receivedAt))
        .limit(limit),
      db.select({ n: count() }).from(webhookEvents).where(isFailed),
    ]),
  );
  return { rows, failedTotal: Number(total?.n ?? 0) };
}

/** All events and the audit entry in one transaction; null when it failed (nothing written). */
async function replayTogether(
  ctx: ServiceContext,
  environment: Environment,
  events: StripeEventLike[],
  skipped: RetryOutcome[],
): Promise<RetryOutcome[] | null> {
  const statements: Statement[] = [];
  const markers: Array<{ at: number; kind: 'processed' | 'ignored' }> = [];
  const keys: string[] = [];
  try {
    for (const event of events) {
      const planned = ingestStatements(ctx, environment, event, 'retry');
      markers.push({ at: statements.length, kind: planned.kind });
      statements.push(...planned.statements);
      keys.push(...planned.lockKeys);
    }
  } catch {
    return null; // a projector refused one of them: replay one by one to record which
  }
  // Every event's lock keys at once and in order, so this batch never waits on a webhook that
  // waits on it.
  const lock = lockStatement(keys);
  if (lock) {
    statements.unshift(lock);
    for (const marker of markers) marker.at += 1;
  }
  statements.push(
    auditStatement(ctx, {
      action: 'event.retry_failed',
      environment,
      details: {
        attempted: events.length + skipped.length,
        processed: events.length,
        failed: skipped.length,
      },
    }),
  );
  // Last: the hook deliveries the replayed events' messages fanned out to.
  const enqueue = !!ctx.outboxQueue;
  if (enqueue) statements.push(transactionDeliveriesStatement(ctx.db, environment));
  try {
    const results = await ctx.db.batch(statements as [Statement, ...Statement[]]);
    if (enqueue) enqueueAfterCommit(ctx, environment, results[results.length - 1]);
    return events.map((event, i) => {
      const { at, kind } = markers[i]!;
      const changed = (results[at] as unknown[]).length > 0;
      return { eventId: event.id, status: changed ? kind : 'duplicate' };
    });
  } catch (err) {
    if (isDbUnreachable(err)) throw toDbError(err, 'retry events');
    return null;
  }
}

async function replayOneByOne(
  ctx: ServiceContext,
  environment: Environment,
  events: StripeEventLike[],
): Promise<RetryOutcome[]> {
  const results: RetryOutcome[] = [];
  for (const event of events) {
    const audit = auditStatement(ctx, {
      action: 'event.retry',
      environment,
      target: event.id,
      details: { via: 'retry-failed' },
    });
    try {
      const result = await ingestEvent(ctx, { environment, event, source: 'retry', alongside: [audit] });
      results.push({
        eventId: event.id,
        status: result.status,
        ...(result.reason ? { error: result.reason } : {}),
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'DB_UNAVAILABLE') throw err;
      results.push({ eventId: event.id, status: 'failed', error: (err as Error).message });
    }
  }
  return results;
}
