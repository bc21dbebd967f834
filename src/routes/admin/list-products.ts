import type { App } from '../../http/context';
import { BoolQuery } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listProducts } from '../../services/projection-read/list-catalog';
import { listRoute, pageBody } from '../list-route';
import { Product, productBody } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/products',
  tags: ['projection'],
  summary: 'Mirrored Stripe products, newest first',
  query: {
    active: BoolQuery,
    includeDeleted: BoolQuery.openapi({ description: 'include products deleted in Stripe' }),
  },
  item: Product,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listProducts(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, productBody), 200);
  });
}
