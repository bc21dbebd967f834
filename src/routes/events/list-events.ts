import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listEvents } from '../../services/webhooks/admin-events';
import { EventSummary, eventSummary, ProcessingStatus } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/events',
  tags: ['events'],
  summary: 'List received Stripe events, newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      status: ProcessingStatus.optional(),
      type: z
        .string()
        .max(100)
        .regex(/^[a-z_.]+\*?$/)
        .optional()
        .openapi({ description: 'exact type, or a prefix ending in * (e.g. invoice.*)' }),
      since: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: 'received at or after (ISO 8601)' }),
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(EventSummary), 'A page of events'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listEvents(c.var.db(), environment, {
      status: q.status,
      type: q.type,
      since: q.since ? new Date(q.since) : undefined,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(eventSummary), nextCursor: page.nextCursor }, 200);
  });
}
