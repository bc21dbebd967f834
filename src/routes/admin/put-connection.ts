import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { SafeText } from '../../http/input';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { connectStripeAccount } from '../../services/connections/connect-account';
import { ConnectionResult, connectionBody } from './schemas';

const ConnectBody = z
  .object({
    secretKey: SafeText(255).min(1).openapi({
      description:
        'Stripe secret key of this environment: sk_test_/rk_test_ for test, sk_live_/rk_live_ for live. Stored encrypted; never returned.',
      example: 'sk_test_…',
    }),
  })
  .openapi('ConnectRequest');

export const route = createRoute({
  method: 'put',
  path: '/admin/v1/{env}/connection',
  tags: ['connection'],
  summary: 'Connect (or re-key) the environment to a Stripe account',
  description:
    "Validates the key against Stripe and stores it encrypted with the account id/name and the masked key. Connecting a different account than before clears the environment's mirrored rows and queues a full sync.",
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: true, content: { 'application/json': { schema: ConnectBody } } },
  },
  responses: {
    200: jsonContent(ConnectionResult, 'Connected'),
    ...errorResponses(
      ...ADMIN_ERRORS,
      'INVALID_JSON',
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'INVALID_STRIPE_KEY',
      'KEY_ENVIRONMENT_MISMATCH',
      'MISSING_STRIPE_PERMISSIONS',
      'NOT_FOUND',
      'STRIPE_ERROR',
      'STRIPE_UNAVAILABLE',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await connectStripeAccount(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      secretKey: c.req.valid('json').secretKey,
    });
    return c.json(connectionBody(result), 200);
  });
}
