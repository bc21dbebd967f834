import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { getEvent } from '../../services/webhooks/get-event';
import { EventDetail, EventIdParam, eventDetailBody } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/events/{id}',
  tags: ['events'],
  summary: 'One received event with its payload and processing state',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam, id: EventIdParam }) },
  responses: { 200: jsonContent(EventDetail, 'The event'), ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND') },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const row = await getEvent(c.var.ctx, { environment: parseEnvironment(env), eventId: id });
    return c.json(eventDetailBody(row), 200);
  });
}
