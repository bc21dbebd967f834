import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { receiveStripeWebhook } from '../../services/webhooks/receive-webhook';

const Received = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    status: z.enum(['processed', 'duplicate', 'ignored', 'failed']),
    reason: z
      .string()
      .optional()
      .openapi({ description: 'why a `failed` event cannot be processed as it is' }),
  })
  .openapi('WebhookReceived');

export const route = createRoute({
  method: 'post',
  path: '/webhooks/stripe/{env}',
  tags: ['webhooks'],
  summary: 'Stripe webhook endpoint (signed deliveries)',
  description:
    "The raw body is verified against `Stripe-Signature` with the environment's signing secret. Each event is recorded once per environment and projected into the Postgres tables. A projection failure answers 500 so that Stripe retries. A signed body that is not a well-formed event, or that Postgres cannot store, is recorded as failed and answered 200 with status `failed`: retrying it would fail the same way.",
  request: {
    params: z.object({ env: EnvParam }),
    headers: z.object({ 'stripe-signature': z.string().optional() }),
  },
  responses: {
    200: jsonContent(Received, 'Recorded (processed, already processed, ignored type, or failed for good)'),
    ...errorResponses(
      'INVALID_SIGNATURE',
      'VALIDATION_FAILED',
      'LIVEMODE_MISMATCH',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'PROJECTION_FAILED',
      'DB_UNAVAILABLE',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await receiveStripeWebhook(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      rawBody: await c.req.text(),
      signature: c.req.valid('header')['stripe-signature'],
    });
    return c.json({ received: true as const, ...result }, 200);
  });
}
