import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listProducts } from '../../services/projection-read/catalog';
import { BoolQuery, boolQuery, Product, product } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/products',
  tags: ['projection'],
  summary: 'Mirrored Stripe products, newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      active: BoolQuery,
      includeDeleted: BoolQuery.openapi({ description: 'include products deleted in Stripe' }),
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(Product), 'A page of products'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listProducts(c.var.db(), environment, {
      active: boolQuery(q.active),
      includeDeleted: boolQuery(q.includeDeleted),
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(product), nextCursor: page.nextCursor }, 200);
  });
}
