import { z } from '@hono/zod-openapi';
import { SafeText } from '../../http/input';
import type { EventRow } from '../../services/webhooks/list-events';

export const ProcessingStatus = z.enum(['pending', 'processed', 'failed', 'ignored']);

export const EventSummary = z
  .object({
    id: z.string().openapi({ example: 'evt_1Q2w3E4r5T6y7U8i' }),
    type: z.string(),
    status: ProcessingStatus,
    livemode: z.boolean(),
    apiVersion: z.string().nullable(),
    created: z.number().int().describe('Stripe event creation time, unix seconds'),
    objectId: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    source: z.string(),
    receivedAt: z.string(),
    processedAt: z.string().nullable(),
  })
  .openapi('WebhookEvent');

export const EventDetail = EventSummary.extend({
  payload: z.record(z.string(), z.unknown()).nullable(),
  rawBody: z
    .string()
    .nullable()
    .openapi({ description: 'the signed body as received, kept only when it could not be stored as JSON' }),
}).openapi('WebhookEventDetail');

export const IngestResult = z
  .object({ eventId: z.string(), type: z.string(), status: z.enum(['processed', 'duplicate', 'ignored']) })
  .openapi('IngestResult');

/** Stripe event ids are short ASCII; anything else cannot name a stored event. */

export function eventSummaryBody(row: EventRow): z.infer<typeof EventSummary> {
  return {
    id: row.stripeEventId,
    type: row.type,
    status: row.processingStatus as z.infer<typeof ProcessingStatus>,
    livemode: row.livemode,
    apiVersion: row.apiVersion,
    created: row.stripeCreated,
    objectId: row.objectId,
    attempts: row.attempts,
    lastError: row.lastError,
    source: row.source,
    receivedAt: row.receivedAt.toISOString(),
    processedAt: row.processedAt?.toISOString() ?? null,
  };
}

export function eventDetailBody(row: EventRow): z.infer<typeof EventDetail> {
  return {
    ...eventSummaryBody(row),
    payload: row.payload as Record<string, unknown> | null,
    rawBody:
      row.rawBody === null ? null : row.rawBodyEncoding === 'base64' ? `base64:${row.rawBody}` : row.rawBody,
  };
}

export const EventIdParam = SafeText(255)
  .min(1)
  .openapi({ param: { name: 'id', in: 'path' }, example: 'evt_1Q2w3E4r5T6y7U8i' });
