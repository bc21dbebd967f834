import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { disconnectStripeAccount } from '../../services/connections/disconnect';
import { connectionDeps } from './deps';
import { BoolQuery, boolQuery, DisconnectResult, disconnectBody } from './schemas';

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
    ...errorResponses(400, 401, 403, 404, 409, 502, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { actor } = await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const result = await disconnectStripeAccount(connectionDeps(c, actor), {
      environment,
      force: boolQuery(c.req.valid('query').force) ?? false,
    });
    return c.json(disconnectBody(result), 200);
  });
}
