import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../../errors';
import { SafeText } from '../../http/input';
import { ADMIN_BODY_ERRORS } from '../../http/openapi';
import { EnvParam } from '../../http/params';
import type { HookEndpointRow } from '../../services/hooks/endpoints';
import type { HookDeliveryRow } from '../../services/hooks/list-deliveries';
import { OUTBOX_TOPICS } from '../../services/outbox/topics';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http to the local machine only (a development receiver such as dev/hooks/sink.ts). */
export const HookUrl = SafeText(2000)
  .refine(
    (value) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return false;
      }
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
    },
    { message: 'must be an https URL (http only for localhost or 127.0.0.1)' },
  )
  .openapi({ example: 'https://app.example.com/paywire/hooks' });

export const HookTopic = z.enum([...OUTBOX_TOPICS, '*']);

export const HookEvents = z
  .array(HookTopic)
  .min(1)
  .max(OUTBOX_TOPICS.length + 1)
  .transform((events) => (events.includes('*') ? ['*'] : [...new Set(events)]))
  .openapi({ description: "topics the endpoint receives, or ['*'] for all", example: ['payment.succeeded'] });

export const HookEndpoint = z
  .object({
    id: z.string(),
    environment: z.enum(['test', 'live']),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    secretMasked: z.string().openapi({ example: 'whsec_…3f9a' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('HookEndpoint');

export const HookEndpointWithSecret = HookEndpoint.extend({
  secret: z.string().openapi({ description: 'the signing secret (whsec_…): shown this once only' }),
}).openapi('HookEndpointWithSecret');

export const HookPath = z.object({
  env: EnvParam,
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
});

export const DeliveryStatus = z.enum(['pending', 'delivered', 'dead']);

export const HookDelivery = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    outboxId: z.string().describe('the message id (the envelope id the app receives)'),
    orderingKey: z.string(),
    status: DeliveryStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.string(),
    lastAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().describe('HTTP status of the last attempt (null: no answer)'),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('HookDelivery');

export const RetryDeliveriesResult = z
  .object({
    retried: z.number().int(),
    enqueued: z.number().int().describe('handed to the Queue now (0 in a pull-only deployment)'),
    remaining: z.number().int().describe('dead deliveries left (retry-dead revives 500 per call)'),
  })
  .openapi('HookDeliveryRetry');

/** Errors of every write route of this group. */
export const HOOK_WRITE_ERRORS: ErrorCode[] = [...ADMIN_BODY_ERRORS, 'NOT_FOUND'];

export function hookEndpointBody(row: HookEndpointRow): z.infer<typeof HookEndpoint> {
  return {
    id: row.id,
    environment: row.environment as 'test' | 'live',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    secretMasked: row.secretMasked,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function hookDeliveryBody(row: HookDeliveryRow): z.infer<typeof HookDelivery> {
  return {
    id: String(row.id),
    endpointId: row.endpointId,
    outboxId: String(row.outboxId),
    orderingKey: row.orderingKey,
    status: row.status as z.infer<typeof DeliveryStatus>,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
