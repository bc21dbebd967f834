import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { updateProduct } from '../../services/catalog/update-product';
import { Product, productBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  ProductPath,
  UpdateProductBody,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'patch',
  path: '/admin/v1/{env}/products/{id}',
  tags: ['catalog'],
  summary: 'Update a product (name, description, metadata, active, default price)',
  description:
    "Updates the product in Stripe and its projection row before answering. `defaultPriceId` sets the product's default price (an active price of this product; null clears it). Retry-safe with `Idempotency-Key`.",
  security: [{ adminKey: [] }],
  request: {
    params: ProductPath,
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: UpdateProductBody } } },
  },
  responses: {
    200: {
      description: 'Updated',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Product } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const outcome = await updateProduct(c.var.ctx, {
      environment: parseEnvironment(env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      productId: id,
      ...c.req.valid('json'),
    });
    return c.json(productBody(outcome.row), 200, idempotencyResponseHeaders(outcome));
  });
}
