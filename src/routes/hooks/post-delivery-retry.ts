import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { retryHookDelivery } from '../../services/hooks/retry-deliveries';
import { HOOK_WRITE_ERRORS, RetryDeliveriesResult } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/hooks/deliveries/{id}/retry',
  tags: ['hooks'],
  summary: 'Deliver a dead (or pending) delivery again: back to pending, attempts 0, enqueued',
  description: 'A 409 for a delivery that is already delivered.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({
      env: EnvParam,
      id: z
        .string()
        .regex(/^[1-9][0-9]{0,15}$/, 'a delivery id')
        .openapi({ param: { name: 'id', in: 'path' }, example: '42' }),
    }),
  },
  responses: {
    200: jsonContent(RetryDeliveriesResult, 'Enqueued'),
    ...errorResponses(...HOOK_WRITE_ERRORS, 'CONFLICT'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const result = await retryHookDelivery(c.var.ctx, {
      environment: parseEnvironment(env),
      deliveryId: Number(id),
    });
    return c.json(result, 200);
  });
}
