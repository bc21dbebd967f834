import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { getEvent } from '../../services/webhooks/admin-events';
import { EventDetail, EventIdParam, eventDetail } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/events/{id}',
  tags: ['events'],
  summary: 'One received event with its payload and processing state',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam, id: EventIdParam }) },
  responses: { 200: jsonContent(EventDetail, 'The event'), ...errorResponses(401, 403, 404, 503) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const { env, id } = c.req.valid('param');
    const row = await getEvent(c.var.db(), parseEnvironment(env), id);
    return c.json(eventDetail(row), 200);
  });
}
