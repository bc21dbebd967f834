import { createRoute } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { getStatus } from '../../services/status/get-status';
import { StatusBody, statusBody } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/status',
  tags: ['status'],
  summary:
    'Per environment: connection, account, masked key, webhook endpoint, last event, failed events, last sync',
  security: [{ adminKey: [] }],
  responses: {
    200: jsonContent(StatusBody, 'Status of both environments'),
    ...errorResponses(401, 403, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const status = await getStatus(c.var.db(), c.var.clock);
    return c.json(statusBody(status), 200);
  });
}
