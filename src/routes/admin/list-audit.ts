import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { listAudit } from '../../services/audit/list-audit';
import { PageQuery, pageBody } from '../list-route';
import { AuditEntry, auditEntryBody } from './schemas';

/** The one list that is not environment-scoped: environment is a filter here. */
export const route = createRoute({
  method: 'get',
  path: '/admin/v1/audit',
  tags: ['status'],
  summary: 'Admin actions (who, what, when), newest first; never secrets',
  security: [{ adminKey: [] }],
  request: {
    query: z.object({
      environment: z.string().max(10).optional().openapi({ description: 'test | live' }),
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
    200: jsonContent(z.object({ data: z.array(AuditEntry), nextCursor: z.string().nullable() }), 'A page'),
    ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { environment, ...query } = c.req.valid('query');
    const page = await listAudit(c.var.ctx, {
      ...query,
      environment: environment ? parseEnvironment(environment) : undefined,
    });
    return c.json(pageBody(page, auditEntryBody), 200);
  });
}
