import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { archiveProduct } from '../../services/catalog/archive-product';
import { Product, productBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  ProductPath,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/products/{id}/archive',
  tags: ['catalog'],
  summary: 'Archive a product (active=false)',
  description:
    'Stripe keeps archived products (existing subscriptions go on); they can no longer be bought. Unarchive with PATCH `{ "active": true }`. No body.',
  security: [{ adminKey: [] }],
  request: { params: ProductPath, headers: IdempotencyHeaders },
  responses: {
    200: {
      description: 'Archived',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Product } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const outcome = await archiveProduct(c.var.ctx, {
      environment: parseEnvironment(env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      productId: id,
    });
    return c.json(productBody(outcome.row), 200, idempotencyResponseHeaders(outcome));
  });
}
