import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listCustomers } from '../../services/projection-read/customers';
import { BoolQuery, boolQuery, Customer, customer, SubjectQuery } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/customers',
  tags: ['projection'],
  summary: 'Mirrored Stripe customers with their billing subject, newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      email: z.string().max(320).optional().openapi({ description: 'exact email (case-insensitive)' }),
      subject: SubjectQuery,
      includeDeleted: BoolQuery,
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(Customer), 'A page of customers'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listCustomers(c.var.db(), environment, {
      email: q.email,
      subject: q.subject,
      includeDeleted: boolQuery(q.includeDeleted),
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(customer), nextCursor: page.nextCursor }, 200);
  });
}
