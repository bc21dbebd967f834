import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { SafeText } from '../../http/input';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { configureWebhookEndpoint } from '../../services/connections/configure-webhook-endpoint';
import { WebhookEndpointResult } from './schemas';

const ConfigureBody = z
  .object({
    url: SafeText(2000).optional().openapi({
      description:
        "Public base URL of this Worker (default: PAYWIRE_PUBLIC_URL, else the request's origin). https, or http for localhost/127.0.0.1. /webhooks/stripe/{env} is appended unless already present.",
      example: 'https://pay.example.com',
    }),
  })
  .openapi('ConfigureWebhookEndpointRequest');

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/webhook-endpoint',
  tags: ['connection'],
  summary: 'Create or replace the managed Stripe webhook endpoint',
  description:
    "Creates an endpoint for this Worker's /webhooks/stripe/{env} with exactly the event types Paywire projects and the pinned API version, stores its signing secret encrypted, removes the endpoint it replaces, and lists the account's other endpoints (which Paywire does not manage).",
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: false, content: { 'application/json': { schema: ConfigureBody } } },
  },
  responses: {
    200: jsonContent(WebhookEndpointResult, 'The managed endpoint'),
    ...errorResponses(
      ...ADMIN_ERRORS,
      'BAD_REQUEST',
      'INVALID_JSON',
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'MISSING_STRIPE_PERMISSIONS',
      'NOT_FOUND',
      'NOT_CONNECTED',
      'CONFLICT',
      'STRIPE_ERROR',
      'STRIPE_UNAVAILABLE',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await configureWebhookEndpoint(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      url: c.req.valid('json')?.url,
      requestOrigin: new URL(c.req.url).origin,
    });
    return c.json(result, 200);
  });
}
