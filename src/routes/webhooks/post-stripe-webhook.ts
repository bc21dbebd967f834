import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../errors';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { receiveStripeWebhook } from '../../services/webhooks/receive-webhook';

/** Stripe's events are far smaller; anything bigger is not from Stripe. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const Received = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    status: z.enum(['processed', 'duplicate', 'ignored']),
  })
  .openapi('WebhookReceived');

export const route = createRoute({
  method: 'post',
  path: '/webhooks/stripe/{env}',
  tags: ['webhooks'],
  summary: 'Stripe webhook endpoint (signed deliveries)',
  description:
    "The raw body is verified against `Stripe-Signature` with the environment's signing secret. Each event is recorded once per environment and projected into the Postgres tables. A projection failure answers 500 so that Stripe retries.",
  request: {
    params: z.object({ env: EnvParam }),
    headers: z.object({ 'stripe-signature': z.string().optional() }),
  },
  responses: {
    200: jsonContent(Received, 'Recorded (processed, already processed, or ignored type)'),
    ...errorResponses(400, 404, 413, 500, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > MAX_WEBHOOK_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', 'Webhook body too large');
    const rawBody = await c.req.text();
    if (rawBody.length > MAX_WEBHOOK_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', 'Webhook body too large');
    const result = await receiveStripeWebhook({
      db: c.var.db(),
      env: c.env,
      environment,
      rawBody,
      signature: c.req.valid('header')['stripe-signature'],
      logger: c.var.logger,
      defer: (work) => c.executionCtx.waitUntil(work),
    });
    return c.json({ received: true as const, ...result }, 200);
  });
}
