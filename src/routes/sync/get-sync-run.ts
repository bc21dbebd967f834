import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { getSyncRun } from '../../services/sync/sync-runs';
import { SyncRun, SyncRunIdParam, syncRunBody } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/sync-runs/{id}',
  tags: ['sync'],
  summary: 'One sync run: status, progress (resource, page), counts per resource, drift',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam, id: SyncRunIdParam }) },
  responses: { 200: jsonContent(SyncRun, 'The run'), ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND') },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    return c.json(syncRunBody(await getSyncRun(c.var.ctx, { environment: parseEnvironment(env), id })), 200);
  });
}
