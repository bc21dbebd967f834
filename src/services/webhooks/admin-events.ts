import { and, desc, eq, gte, type SQL } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { afterCursor, exactOrPrefix } from '../../db/keyset';
import { AppError } from '../../errors';
import { pageOf } from '../../http/pagination';
import type { Logger } from '../../logger';
import type { StripeEventLike } from '../projection/stripe-object';
import { type IngestResult, ingestEvent } from './ingest-event';

export type EventRow = typeof webhookEvents.$inferSelect;
export type ProcessingStatus = 'pending' | 'processed' | 'failed' | 'ignored';

export interface EventFilters {
  status?: ProcessingStatus;
  type?: string;
  since?: Date;
  limit: number;
  cursor?: string;
}

export async function listEvents(db: Db, environment: Environment, filters: EventFilters) {
  const conditions: Array<SQL | undefined> = [
    eq(webhookEvents.environment, environment),
    filters.status ? eq(webhookEvents.processingStatus, filters.status) : undefined,
    exactOrPrefix(webhookEvents.type, filters.type),
    filters.since ? gte(webhookEvents.receivedAt, filters.since) : undefined,
    afterCursor(filters.cursor, webhookEvents.receivedAt, webhookEvents.id),
  ];
  const rows = await dbCall('list events', () =>
    db
      .select()
      .from(webhookEvents)
      .where(and(...conditions))
      .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
      .limit(filters.limit + 1),
  );
  return pageOf(
    rows.map((r) => ({ ...r, createdAt: r.receivedAt })),
    filters.limit,
  );
}

export async function getEvent(db: Db, environment: Environment, stripeEventId: string): Promise<EventRow> {
  const rows = await dbCall('read event', () =>
    db
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.environment, environment), eq(webhookEvents.stripeEventId, stripeEventId)))
      .limit(1),
  );
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', `No event ${stripeEventId.slice(0, 80)} in ${environment}`);
  return row;
}

/** Replays a stored event through the projection. Only failed (or stuck pending) events qualify. */
export async function retryEvent(
  db: Db,
  environment: Environment,
  stripeEventId: string,
  logger?: Logger,
): Promise<IngestResult> {
  const row = await getEvent(db, environment, stripeEventId);
  if (row.processingStatus === 'processed' || row.processingStatus === 'ignored') {
    throw new AppError(
      'CONFLICT',
      `Event ${stripeEventId} is already ${row.processingStatus}; nothing to retry`,
    );
  }
  return ingestEvent(db, environment, row.payload as StripeEventLike, { source: 'retry', logger });
}

/** Retries failed events oldest first, up to `limit`; reports what happened to each. */
export async function retryFailedEvents(db: Db, environment: Environment, limit: number, logger?: Logger) {
  const failed = await dbCall('list failed events', () =>
    db
      .select({ stripeEventId: webhookEvents.stripeEventId, payload: webhookEvents.payload })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.environment, environment), eq(webhookEvents.processingStatus, 'failed')))
      .orderBy(webhookEvents.stripeCreated, webhookEvents.receivedAt)
      .limit(limit),
  );
  const results: Array<{
    eventId: string;
    status: 'processed' | 'duplicate' | 'ignored' | 'failed';
    error?: string;
  }> = [];
  for (const row of failed) {
    try {
      const result = await ingestEvent(db, environment, row.payload as StripeEventLike, {
        source: 'retry',
        logger,
      });
      results.push({ eventId: row.stripeEventId, status: result.status });
    } catch (err) {
      if (err instanceof AppError && err.code === 'DB_UNAVAILABLE') throw err;
      results.push({ eventId: row.stripeEventId, status: 'failed', error: (err as Error).message });
    }
  }
  return {
    attempted: results.length,
    processed: results.filter((r) => r.status === 'processed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    results,
  };
}
