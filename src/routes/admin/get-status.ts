import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
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
    ...errorResponses(...ADMIN_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(statusBody(await getStatus(c.var.ctx)), 200));
}
