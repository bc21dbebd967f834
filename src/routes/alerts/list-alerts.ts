import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { parseEnvironment } from '../../http/params';
import { listAlerts } from '../../services/alerts/list-alerts';
import { listRoute, pageBody } from '../list-route';
import { Alert, AlertKind, alertBody } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/alerts',
  tags: ['alerts'],
  summary: 'Alerts (payment failures in a row, failed webhook events, webhook backlog), newest first',
  query: {
    status: z.enum(['open', 'resolved', 'all']).default('open'),
    kind: AlertKind.optional(),
  },
  item: Alert,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listAlerts(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, alertBody), 200);
  });
}
