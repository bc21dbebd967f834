import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { Instant } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listEvents } from '../../services/webhooks/list-events';
import { listRoute, pageBody } from '../list-route';
import { EventSummary, eventSummaryBody, ProcessingStatus } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/events',
  tags: ['events'],
  summary: 'List received Stripe events, newest first',
  query: {
    status: ProcessingStatus.optional(),
    type: z
      .string()
      .max(100)
      .regex(/^[a-z_.]+\*?$/)
      .optional()
      .openapi({ description: 'exact type, or a prefix ending in * (e.g. invoice.*)' }),
    since: Instant.optional().openapi({ description: 'received at or after (ISO 8601)' }),
  },
  item: EventSummary,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listEvents(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, eventSummaryBody), 200);
  });
}
