import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listPrices } from '../../services/projection-read/catalog';
import { BoolQuery, boolQuery, Price, price, StripeIdQuery } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/prices',
  tags: ['projection'],
  summary: 'Mirrored Stripe prices, newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      product: StripeIdQuery('prod').openapi({ description: 'only prices of this product' }),
      active: BoolQuery,
      type: z.enum(['one_time', 'recurring']).optional(),
      lookupKey: z.string().max(200).optional(),
      includeDeleted: BoolQuery,
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(Price), 'A page of prices'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listPrices(c.var.db(), environment, {
      product: q.product,
      active: boolQuery(q.active),
      type: q.type,
      lookupKey: q.lookupKey,
      includeDeleted: boolQuery(q.includeDeleted),
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(price), nextCursor: page.nextCursor }, 200);
  });
}
