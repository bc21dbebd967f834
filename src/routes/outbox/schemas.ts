import { z } from '@hono/zod-openapi';

/** A positive bigserial id, as text or number. */
export const OutboxId = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const OutboxMessage = z
  .object({
    id: z.string().describe('message id: dedupe on it (delivery is at least once)'),
    type: z.string().openapi({ example: 'payment.succeeded' }),
    environment: z.string(),
    created: z.number().int().describe('unix seconds'),
    subject: z.object({ type: z.string(), id: z.string() }).nullable(),
    stripe_event_id: z.string().nullable(),
    data: z.unknown(),
    acked: z.boolean(),
  })
  .openapi('OutboxMessage');
