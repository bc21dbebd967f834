import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { createProduct } from '../../services/catalog/create-product';
import { Product, productBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  CreateProductBody,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/products',
  tags: ['catalog'],
  summary: 'Create a product in Stripe',
  description:
    'Creates the product in the connected Stripe account and writes its projection row before answering. Retry-safe with `Idempotency-Key`: the same key and body answer the same product (201, `Idempotent-Replayed: true`) without calling Stripe; another body → 409.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: CreateProductBody } } },
  },
  responses: {
    201: {
      description: 'Created (or the replay of an earlier create with the same key)',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Product } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const outcome = await createProduct(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      ...c.req.valid('json'),
    });
    return c.json(productBody(outcome.row), 201, idempotencyResponseHeaders(outcome));
  });
}
