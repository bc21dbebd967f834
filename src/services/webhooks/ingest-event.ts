import { sql } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall, isDbUnreachable, sqlState, toDbError } from '../../db/errors';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { redact } from '../../redact';
import { buildProjection } from '../projection';
import type { StripeEventLike } from '../projection/stripe-object';
import type { Statement } from '../projection/types';

export type EventSource = 'webhook' | 'retry' | 'sync';
export type IngestStatus = 'processed' | 'duplicate' | 'ignored';

export interface IngestResult {
  status: IngestStatus;
  eventId: string;
  type: string;
}

/**
 * Records and projects one Stripe event in ONE database round trip: a single `db.batch`
 * (one transaction over Neon HTTP) that upserts the event row as processed and runs the
 * projection statements.
 *
 * - The event row goes first, so a concurrent duplicate delivery waits on its unique index
 *   instead of doing the projection work twice.
 * - A delivery of an event that is already processed changes nothing: the event upsert is a
 *   no-op and every projection statement is a recency-guarded no-op for a key it has seen.
 * - A failed (or stale pending) event is reclaimed by the same upsert.
 * - If the transaction fails, nothing of it is written; the failure is then recorded on the
 *   event row (a second round trip, only on this path) and PROJECTION_FAILED is thrown so
 *   the webhook answers 500 and Stripe retries.
 */
export async function ingestEvent(
  db: Db,
  environment: Environment,
  event: StripeEventLike,
  options: { source?: EventSource; logger?: Logger } = {},
): Promise<IngestResult> {
  const source = options.source ?? 'webhook';
  const base = {
    environment,
    stripeEventId: event.id,
    type: event.type,
    livemode: event.livemode,
    apiVersion: event.api_version ?? null,
    stripeCreated: event.created,
    objectId: typeof event.data?.object?.id === 'string' ? (event.data.object.id as string) : null,
    source,
    payload: event,
  };

  let projection: Statement[] | null;
  try {
    projection = buildProjection({ db, environment, event });
  } catch (err) {
    await recordFailure(db, base, err, options.logger);
    throw new AppError('PROJECTION_FAILED', `Event ${event.id} could not be projected`, { cause: err });
  }

  if (projection === null) {
    const rows = await dbCall('record ignored event', () =>
      db
        .insert(webhookEvents)
        .values({ ...base, processingStatus: 'ignored', attempts: 1, processedAt: sql`now()` })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id }),
    );
    return { status: rows.length > 0 ? 'ignored' : 'duplicate', eventId: event.id, type: event.type };
  }

  const markProcessed = db
    .insert(webhookEvents)
    .values({ ...base, processingStatus: 'processed', attempts: 1, processedAt: sql`now()` })
    .onConflictDoUpdate({
      target: [webhookEvents.environment, webhookEvents.stripeEventId],
      set: {
        processingStatus: 'processed',
        attempts: sql`${webhookEvents.attempts} + 1`,
        processedAt: sql`now()`,
        lastError: null,
        source,
        claimToken: null,
        claimedAt: null,
      },
      setWhere: sql`${webhookEvents.processingStatus} <> 'processed'`,
    })
    .returning({ id: webhookEvents.id });

  try {
    const [marked] = await db.batch([markProcessed, ...projection]);
    const processed = (marked as Array<{ id: string }>).length > 0;
    return { status: processed ? 'processed' : 'duplicate', eventId: event.id, type: event.type };
  } catch (err) {
    // The database did not answer: nothing was written and nothing can be recorded; 503
    // makes Stripe redeliver later.
    if (isDbUnreachable(err)) throw toDbError(err, 'project event');
    await recordFailure(db, base, err, options.logger);
    throw new AppError('PROJECTION_FAILED', `Event ${event.id} could not be projected`, { cause: err });
  }
}

async function recordFailure(
  db: Db,
  base: typeof webhookEvents.$inferInsert,
  err: unknown,
  logger: Logger | undefined,
): Promise<void> {
  const message = redact(describe(err)).slice(0, 2000);
  logger?.error('event projection failed', { eventId: base.stripeEventId, type: base.type, error: message });
  await dbCall('record failed event', () =>
    db
      .insert(webhookEvents)
      .values({ ...base, processingStatus: 'failed', attempts: 1, lastError: message })
      .onConflictDoUpdate({
        target: [webhookEvents.environment, webhookEvents.stripeEventId],
        set: {
          processingStatus: 'failed',
          attempts: sql`${webhookEvents.attempts} + 1`,
          lastError: message,
          source: base.source,
        },
        setWhere: sql`${webhookEvents.processingStatus} <> 'processed'`,
      }),
  );
}

/** The Postgres error itself (drizzle's wrapper message repeats the whole query and its params). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const state = sqlState(err);
  const message = cause instanceof Error ? cause.message : err.message;
  return `${state ? `[${state}] ` : ''}${message}`;
}
