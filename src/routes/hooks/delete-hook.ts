import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { deleteHookEndpoint } from '../../services/hooks/delete-endpoint';
import { HOOK_WRITE_ERRORS, HookPath } from './schemas';

export const route = createRoute({
  method: 'delete',
  path: '/admin/v1/{env}/hooks/{id}',
  tags: ['hooks'],
  summary: 'Remove a hook endpoint and its deliveries',
  security: [{ adminKey: [] }],
  request: { params: HookPath },
  responses: {
    200: jsonContent(z.object({ id: z.string(), deleted: z.literal(true) }), 'Removed'),
    ...errorResponses(...HOOK_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    return c.json(await deleteHookEndpoint(c.var.ctx, { environment: parseEnvironment(env), id }), 200);
  });
}
