import type { Environment } from '../../../drizzle/schema';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { checkEnvelope, type Envelope, parseEnvelope } from './event-envelope';
import { getEvent } from './get-event';
import { type IngestResult, ingestEvent } from './ingest-event';
import type { EventRow } from './list-events';

/**
 * Replays a stored event through the projection, with its audit entry in the same transaction.
 * Only failed (or stuck pending) events qualify. An event that still cannot be processed (its
 * body is malformed, or Postgres refuses its data) is a 409 with the reason.
 */
export async function retryEvent(
  ctx: ServiceContext,
  input: { environment: Environment; eventId: string },
): Promise<IngestResult> {
  const { environment, eventId } = input;
  const row = await getEvent(ctx, input);
  if (row.processingStatus === 'processed' || row.processingStatus === 'ignored') {
    throw new AppError('CONFLICT', `Event ${eventId} is already ${row.processingStatus}; nothing to retry`);
  }
  const envelope = storedEnvelope(row);
  if (!envelope.ok)
    throw new AppError('CONFLICT', `Event ${eventId} still cannot be processed: ${envelope.reason}`);
  const audit = auditStatement(ctx, { action: 'event.retry', environment, target: eventId });
  let result: IngestResult;
  try {
    result = await ingestEvent(ctx, {
      environment,
      event: envelope.event,
      source: 'retry',
      alongside: [audit],
    });
  } catch (err) {
    // The retry itself worked and the failure is recorded on the event: not a server error.
    if (err instanceof AppError && err.code === 'PROJECTION_FAILED') {
      throw new AppError('CONFLICT', `Event ${eventId} still cannot be projected (see its last error)`, {
        cause: err,
      });
    }
    throw err;
  }
  if (result.status === 'failed') {
    throw new AppError('CONFLICT', `Event ${eventId} still cannot be processed: ${result.reason}`);
  }
  return result;
}

/** The stored event, checked again: the jsonb payload, or the raw body a malformed delivery left. */
export function storedEnvelope(row: Pick<EventRow, 'payload' | 'rawBody' | 'rawBodyEncoding'>): Envelope {
  if (row.payload !== null) return checkEnvelope(row.payload, true);
  const raw =
    row.rawBodyEncoding === 'base64'
      ? new TextDecoder().decode(Uint8Array.from(atob(row.rawBody ?? ''), (c) => c.charCodeAt(0)))
      : (row.rawBody ?? '');
  return parseEnvelope(raw);
}
