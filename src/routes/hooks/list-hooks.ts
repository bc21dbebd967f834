import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listHookEndpoints } from '../../services/hooks/list-endpoints';
import { HookEndpoint, hookEndpointBody } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/hooks',
  tags: ['hooks'],
  summary: "The app's hook endpoints (secrets masked)",
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam }) },
  responses: {
    200: jsonContent(z.object({ data: z.array(HookEndpoint) }), 'The endpoints, oldest first'),
    ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const rows = await listHookEndpoints(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
    });
    return c.json({ data: rows.map(hookEndpointBody) }, 200);
  });
}
