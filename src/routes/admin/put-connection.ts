import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { connectStripeAccount } from '../../services/connections/connect';
import { connectionDeps } from './deps';
import { ConnectionResult, connectionBody } from './schemas';

const ConnectBody = z
  .object({
    secretKey: z.string().min(1).max(255).openapi({
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
    ...errorResponses(400, 401, 403, 404, 502, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { actor } = await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const result = await connectStripeAccount(connectionDeps(c, actor), {
      environment,
      secretKey: c.req.valid('json').secretKey,
    });
    return c.json(connectionBody(result), 200);
  });
}
