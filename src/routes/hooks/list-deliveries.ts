import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { parseEnvironment } from '../../http/params';
import { listHookDeliveries } from '../../services/hooks/list-deliveries';
import { listRoute, pageBody } from '../list-route';
import { DeliveryStatus, HookDelivery, hookDeliveryBody } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/hooks/deliveries',
  tags: ['hooks'],
  summary: 'Deliveries of outbox messages to the hook endpoints, newest first',
  query: {
    status: DeliveryStatus.optional(),
    endpoint: z.uuid().optional().openapi({ description: 'one endpoint id' }),
  },
  item: HookDelivery,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { status, endpoint, ...page } = c.req.valid('query');
    const rows = await listHookDeliveries(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      status,
      endpointId: endpoint,
      ...page,
    });
    return c.json(pageBody(rows, hookDeliveryBody), 200);
  });
}
