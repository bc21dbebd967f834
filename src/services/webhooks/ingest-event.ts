import { sql } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import { sha256Hex } from '../../crypto/hex';
import type { Db } from '../../db/client';
import { dbCall, isDbUnreachable, raisedOutsidePaywire, sqlState, toDbError } from '../../db/errors';
import { JsonText, type PreparedStatement, placeholder, prepare, preparedOnce } from '../../db/prepared';
import { AppError } from '../../errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import { deliveryIds, transactionDeliveriesStatement } from '../outbox/event-deliveries';
import { enqueueDeliveries } from '../outbox/queue';
import { buildProjection, lockStatement, projectionLockKeys } from '../projection';
import type { StripeEventLike } from '../projection/stripe-object';
import type { Statement } from '../projection/types';
import type { Envelope } from './event-envelope';

export type EventSource = 'webhook' | 'retry' | 'sync';
export type IngestStatus = 'processed' | 'duplicate' | 'ignored' | 'failed';

export interface IngestResult {
  status: IngestStatus;
  eventId: string;
  type: string;
  /** why a `failed` event cannot be processed as it is */
  reason?: string;
}

type EventRowInsert = typeof webhookEvents.$inferInsert;

/**
 * Records and projects one Stripe event in ONE database round trip: a single `db.batch`
 * (one transaction over Neon HTTP) that upserts the event row as processed and runs the
 * projection statements (and `alongside`, e.g. the audit entry of an admin retry).
 *
 * - The event row goes first, so a concurrent duplicate delivery waits on its unique index
 *   instead of doing the projection work twice.
 * - A delivery of an event that is already processed changes nothing: the event upsert is a
 *   no-op and every projection statement is a recency-guarded no-op for a key it has seen.
 * - A failed (or stale pending) event is reclaimed by the same upsert.
 * - If the transaction fails, nothing of it is written; the failure is then recorded on the
 *   event row (a second round trip, only on this path). Values Postgres refuses (see
 *   refusesEventData) fail the same way on every retry, so the event is reported as `failed`;
 *   anything else throws PROJECTION_FAILED (500) so Stripe retries.
 */
export async function ingestEvent(
  ctx: ServiceContext,
  input: {
    environment: Environment;
    event: StripeEventLike;
    source?: EventSource;
    alongside?: Statement[];
    /** the signed body, kept beside the jsonb when it holds numbers JavaScript rounds */
    rawBody?: string;
    /** the event as the JSON text it arrived in: stored as the jsonb payload without re-serializing */
    payloadText?: string;
  },
): Promise<IngestResult> {
  const { db } = ctx;
  const { environment, event } = input;
  const base = {
    ...eventRow(environment, event, input.source ?? 'webhook'),
    ...(input.rawBody === undefined ? {} : { rawBody: input.rawBody, rawBodyEncoding: 'utf8' }),
  };
  const stored: EventRowInsert =
    input.payloadText === undefined ? base : { ...base, payload: new JsonText(input.payloadText) };
  const alongside = input.alongside ?? [];

  let projection: Statement[] | null;
  try {
    projection = buildProjection({ db, environment, event });
  } catch (err) {
    // The projector refused the event's shape (e.g. no data.object.id): the same on every retry.
    const reason = await recordFailure(ctx, base, err);
    return { status: 'failed', eventId: event.id, type: event.type, reason };
  }

  if (projection === null) {
    const record = eventStatements(ctx.db).recordIgnored.bind(eventValues(stored));
    const [rows] = await dbCall('record ignored event', () => db.batch([record, ...alongside]));
    return { status: rows.length > 0 ? 'ignored' : 'duplicate', eventId: event.id, type: event.type };
  }

  try {
    const lock = lockStatement(projectionLockKeys(environment, event));
    // Last: the hook deliveries this transaction's outbox messages fanned out to (none without a Queue).
    const deliveries = ctx.outboxQueue ? [transactionDeliveriesStatement(db, environment)] : [];
    const results = await db.batch([
      markProcessed(ctx, stored),
      ...(lock ? [lock] : []),
      ...projection,
      ...alongside,
      ...deliveries,
    ]);
    const processed = (results[0] as Array<{ id: string }>).length > 0;
    // Whatever the last statement marked enqueued is handed over, duplicate or not: a row it
    // marked and left out would wait for the cron's stuck rule.
    if (deliveries.length > 0) enqueueAfterCommit(ctx, environment, results[results.length - 1]);
    return { status: processed ? 'processed' : 'duplicate', eventId: event.id, type: event.type };
  } catch (err) {
    // The database did not answer: nothing was written and nothing can be recorded; 503
    // makes Stripe redeliver later.
    if (isDbUnreachable(err)) throw toDbError(err, 'project event');
    const reason = await recordFailure(ctx, base, err);
    if (refusesEventData(err)) return { status: 'failed', eventId: event.id, type: event.type, reason };
    throw new AppError('PROJECTION_FAILED', `Event ${event.id} could not be projected`, { cause: err });
  }
}

/** Enqueues the committed deliveries after the response (ctx.waitUntil); only a log line if it fails. */
export function enqueueAfterCommit(ctx: ServiceContext, environment: Environment, rows: unknown): void {
  const ids = deliveryIds(rows);
  if (ids.length === 0) return;
  ctx.defer(
    enqueueDeliveries(ctx.outboxQueue, environment, ids).catch((err) => {
      // The deliveries stay pending: the cron tick re-enqueues them (requeueStuckDeliveries).
      ctx.logger.warn('outbox enqueue failed', { environment, deliveries: ids.length, error: String(err) });
    }),
  );
}

/**
 * One event's statements for a batch shared with other events (retry-failed): the projection
 * with the row marking it processed, or, for a type Paywire does not project, the row marking
 * it ignored. The first statement returns a row only if it changed the event. The lock keys
 * are the caller's to take, all events' together and sorted, before the first event.
 */
export function ingestStatements(
  ctx: ServiceContext,
  environment: Environment,
  event: StripeEventLike,
  source: EventSource,
): { kind: 'processed' | 'ignored'; statements: Statement[]; lockKeys: string[] } {
  const base = eventRow(environment, event, source);
  const projection = buildProjection({ db: ctx.db, environment, event });
  if (projection !== null)
    return {
      kind: 'processed',
      statements: [markProcessed(ctx, base), ...projection],
      lockKeys: projectionLockKeys(environment, event),
    };
  const markIgnored = eventStatements(ctx.db).markIgnored.bind(eventValues(base));
  return { kind: 'ignored', statements: [markIgnored], lockKeys: [] };
}

/**
 * A validly signed body that is not a well-formed event, or that Postgres cannot hold: recorded
 * as `failed` with the reason and the raw body (so nothing signed is ever lost), never projected.
 * Without a usable id it is keyed by the body's SHA-256, so a redelivery is one row.
 */
export async function recordMalformedEvent(
  ctx: ServiceContext,
  input: { environment: Environment; rawBody: string; envelope: Extract<Envelope, { ok: false }> },
): Promise<IngestResult> {
  const { environment, rawBody, envelope } = input;
  const { partial } = envelope;
  const eventId = partial.id ?? `invalid_${(await sha256Hex(rawBody)).slice(0, 40)}`;
  const type = partial.type ?? 'invalid';
  const hasNul = rawBody.includes('\u0000');
  const row: EventRowInsert = {
    environment,
    stripeEventId: eventId,
    type,
    livemode: partial.livemode ?? environment === 'live',
    apiVersion: partial.api_version ?? null,
    stripeCreated: partial.created ?? 0,
    objectId: null,
    source: 'webhook',
    payload: envelope.storable,
    rawBody: hasNul ? base64Utf8(rawBody) : rawBody,
    rawBodyEncoding: hasNul ? 'base64' : 'utf8',
  };
  ctx.logger.warn('malformed signed event recorded as failed', { eventId, type, reason: envelope.reason });
  await upsertFailed(ctx, row, `malformed event: ${envelope.reason}`);
  return { status: 'failed', eventId, type, reason: envelope.reason };
}

function eventRow(environment: Environment, event: StripeEventLike, source: EventSource): EventRowInsert {
  const objectId = event.data?.object?.id;
  return {
    environment,
    stripeEventId: event.id,
    type: event.type,
    livemode: event.livemode,
    apiVersion: event.api_version ?? null,
    stripeCreated: event.created,
    objectId: typeof objectId === 'string' ? objectId : null,
    source,
    payload: event,
  };
}

function markProcessed(ctx: ServiceContext, base: EventRowInsert) {
  return eventStatements(ctx.db).markProcessed.bind(eventValues(base));
}

type EventValues = Record<string, unknown>;

/** The event row's values for the prepared statements (absent optional columns are null). */
function eventValues(row: EventRowInsert): EventValues {
  return {
    environment: row.environment,
    stripeEventId: row.stripeEventId,
    type: row.type,
    livemode: row.livemode,
    apiVersion: row.apiVersion ?? null,
    stripeCreated: row.stripeCreated,
    objectId: row.objectId ?? null,
    source: row.source ?? 'webhook',
    payload: row.payload ?? null,
    rawBody: row.rawBody ?? null,
    rawBodyEncoding: row.rawBodyEncoding ?? null,
  };
}

interface EventStatements {
  /** insert as processed, or reclaim a failed/pending row; returns the id only if it changed */
  markProcessed: PreparedStatement<EventValues>;
  /** insert as ignored, or reclaim a failed/pending row (a retry of an ignored type) */
  markIgnored: PreparedStatement<EventValues>;
  /** insert as ignored unless recorded already */
  recordIgnored: PreparedStatement<EventValues>;
}

/** The event-row statements of the hot path, prepared once per isolate (db/prepared.ts). */
const eventStatements = preparedOnce((db: Db): EventStatements => {
  const slots = Object.fromEntries(
    Object.keys(eventValues({} as EventRowInsert)).map((name) => [name, placeholder(name)]),
  ) as unknown as EventRowInsert;
  const conflict = [webhookEvents.environment, webhookEvents.stripeEventId];
  const returning = { id: webhookEvents.id };
  return {
    markProcessed: prepare(
      db
        .insert(webhookEvents)
        .values({ ...slots, processingStatus: 'processed', attempts: 1, processedAt: sql`now()` })
        .onConflictDoUpdate({
          target: conflict,
          set: {
            processingStatus: 'processed',
            attempts: sql`${webhookEvents.attempts} + 1`,
            processedAt: sql`now()`,
            lastError: null,
            source: placeholder('source') as unknown as string,
          },
          setWhere: sql`${webhookEvents.processingStatus} <> 'processed'`,
        })
        .returning(returning),
    ),
    markIgnored: prepare(
      db
        .insert(webhookEvents)
        .values({ ...slots, processingStatus: 'ignored', attempts: 1, processedAt: sql`now()` })
        .onConflictDoUpdate({
          target: conflict,
          set: {
            processingStatus: 'ignored',
            attempts: sql`${webhookEvents.attempts} + 1`,
            lastError: null,
            processedAt: sql`now()`,
          },
          setWhere: sql`${webhookEvents.processingStatus} in ('failed', 'pending')`,
        })
        .returning(returning),
    ),
    recordIgnored: prepare(
      db
        .insert(webhookEvents)
        .values({ ...slots, processingStatus: 'ignored', attempts: 1, processedAt: sql`now()` })
        .onConflictDoNothing()
        .returning(returning),
    ),
  };
});

async function recordFailure(ctx: ServiceContext, base: EventRowInsert, err: unknown): Promise<string> {
  const message = redact(describe(err)).slice(0, 2000);
  const cause = (err as { cause?: unknown })?.cause;
  ctx.logger.error('event projection failed', {
    eventId: base.stripeEventId,
    type: base.type,
    error: message,
    // Postgres's own words (they may echo the event's values): the log only, redacted
    detail: redact(String(cause instanceof Error ? cause.message : ((err as Error)?.message ?? err))).slice(
      0,
      2000,
    ),
  });
  await upsertFailed(ctx, base, message);
  return message;
}

/** Marks the event failed (inserting it if new), unless it was processed meanwhile. */
async function upsertFailed(ctx: ServiceContext, row: EventRowInsert, message: string): Promise<void> {
  await dbCall('record failed event', () =>
    ctx.db
      .insert(webhookEvents)
      .values({ ...row, processingStatus: 'failed', attempts: 1, lastError: message })
      .onConflictDoUpdate({
        target: [webhookEvents.environment, webhookEvents.stripeEventId],
        set: {
          processingStatus: 'failed',
          attempts: sql`${webhookEvents.attempts} + 1`,
          lastError: message,
          source: row.source,
        },
        setWhere: sql`${webhookEvents.processingStatus} <> 'processed'`,
      }),
  );
}

/**
 * Postgres refused the event's own values: a data exception (class 22: a number beyond bigint,
 * an impossible date) or a constraint (class 23: a required field missing) in Paywire's own
 * statements and triggers. The same event fails the same way on every delivery, so Stripe's
 * retries cannot help. Anything else (an app trigger raising or failing a cast or one of its
 * own constraints, a serialization failure, a bug fixed by a deploy) answers 500 so they do.
 */
function refusesEventData(err: unknown): boolean {
  const state = sqlState(err);
  return !!state && (state.startsWith('22') || state.startsWith('23')) && !raisedOutsidePaywire(err);
}

/** Postgres data exceptions an event's values can cause, named without echoing the values. */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22001': 'a text value is too long for its column',
  '22003': "a number is out of its column's range",
  '22007': 'a date or time is malformed',
  '22008': 'a date or time is out of range',
  '22021': 'text holds a character the database encoding cannot represent',
  '22P02': 'a value does not have the form its column needs',
  '22P05': 'text holds a character the database cannot store',
};

/**
 * The failure in Paywire's words, stored as `last_error` and shown to operators. Postgres's own
 * messages echo statement values (an event's data), so they go to the log only; an exception an
 * app's trigger raises (P0001) is the app's own message and is kept, since it says what to fix.
 */
function describe(err: unknown): string {
  const state = sqlState(err);
  if (!state) return err instanceof Error ? err.message : String(err);
  if (state === 'P0001') {
    const cause = (err as { cause?: unknown }).cause;
    return `[P0001] ${cause instanceof Error ? cause.message : (err as Error).message}`;
  }
  if ((state.startsWith('22') || state.startsWith('23')) && raisedOutsidePaywire(err))
    return `[${state}] a trigger or table outside the paywire schema (the app's) failed: ${DATA_EXCEPTIONS[state] ?? 'see the log'}; retried`;
  if (state.startsWith('22'))
    return `[${state}] Postgres refused a value of the event: ${DATA_EXCEPTIONS[state] ?? 'data exception'}`;
  if (state.startsWith('23'))
    return `[${state}] a constraint refused the projection (integrity constraint violation)`;
  return `[${state}] the projection failed in the database (details in the log)`;
}

function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
