import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { BoolQuery, SafeText } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listPrices } from '../../services/projection-read/list-catalog';
import { listRoute, pageBody } from '../list-route';
import { Price, priceBody, StripeIdQuery } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/prices',
  tags: ['projection'],
  summary: 'Mirrored Stripe prices, newest first',
  query: {
    product: StripeIdQuery('prod').openapi({ description: 'only prices of this product' }),
    active: BoolQuery,
    type: z.enum(['one_time', 'recurring']).optional(),
    lookupKey: SafeText(200).optional(),
    includeDeleted: BoolQuery,
  },
  item: Price,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listPrices(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, priceBody), 200);
  });
}
