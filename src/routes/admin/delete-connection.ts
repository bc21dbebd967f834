import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { BoolQuery } from '../../http/input';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { disconnectStripeAccount } from '../../services/connections/disconnect-account';
import { DisconnectResult, disconnectBody } from './schemas';

export const route = createRoute({
  method: 'delete',
  path: '/admin/v1/{env}/connection',
  tags: ['connection'],
  summary: 'Disconnect the environment (removes the managed webhook endpoint)',
  description:
    'Removes the managed webhook endpoint from Stripe, then forgets the key and signing secret. Mirrored rows stay. If Stripe is unreachable the call fails with 502 unless force=true.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      force: BoolQuery.openapi({
        description: 'disconnect even if the endpoint cannot be removed from Stripe',
      }),
    }),
  },
  responses: {
    200: jsonContent(DisconnectResult, 'Disconnected'),
    ...errorResponses(
      ...ADMIN_ERRORS,
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'NOT_FOUND',
      'NOT_CONNECTED',
      'STRIPE_UNAVAILABLE',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await disconnectStripeAccount(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      force: c.req.valid('query').force ?? false,
    });
    return c.json(disconnectBody(result), 200);
  });
}
