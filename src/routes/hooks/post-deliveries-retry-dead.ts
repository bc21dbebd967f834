import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { RETRY_DEAD_LIMIT, retryDeadHookDeliveries } from '../../services/hooks/retry-deliveries';
import { HOOK_WRITE_ERRORS, RetryDeliveriesResult } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/hooks/deliveries/retry-dead',
  tags: ['hooks'],
  summary: 'Deliver every dead delivery again (oldest first, 500 per call)',
  description: `Back to pending with attempts 0 and enqueued. At most ${RETRY_DEAD_LIMIT} per call; \`remaining\` says how many are left.`,
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({ endpoint: z.uuid().optional().openapi({ description: 'only this endpoint' }) }),
  },
  responses: {
    200: jsonContent(RetryDeliveriesResult, 'Enqueued'),
    ...errorResponses(...HOOK_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await retryDeadHookDeliveries(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      endpointId: c.req.valid('query').endpoint,
    });
    return c.json(result, 200);
  });
}
