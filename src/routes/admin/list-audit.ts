import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { parseEnvironment } from '../../http/params';
import { listAudit } from '../../services/audit/list-audit';
import { AuditEntry, auditEntry } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/audit',
  tags: ['status'],
  summary: 'Admin actions (who, what, when), newest first; never secrets',
  security: [{ adminKey: [] }],
  request: {
    query: z.object({
      environment: z.string().optional().openapi({ description: 'test | live' }),
      action: z
        .string()
        .max(100)
        .regex(/^[a-z_.]+\*?$/)
        .optional()
        .openapi({ description: 'exact action, or a prefix ending in * (e.g. connection.*)' }),
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(AuditEntry), 'A page of audit entries'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const q = c.req.valid('query');
    const page = await listAudit(c.var.db(), {
      environment: q.environment ? parseEnvironment(q.environment) : undefined,
      action: q.action,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(auditEntry), nextCursor: page.nextCursor }, 200);
  });
}
