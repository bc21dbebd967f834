import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { updatePrice } from '../../services/catalog/update-price';
import { Price, priceBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  PricePath,
  UpdatePriceBody,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'patch',
  path: '/admin/v1/{env}/prices/{id}',
  tags: ['catalog'],
  summary: 'Update a price (nickname, metadata, lookup key, active)',
  description:
    'Changes what Stripe lets change on a price and its projection row before answering. `lookupKey: null` removes the key; `transferLookupKey` takes it from the price that holds it. Retry-safe with `Idempotency-Key`.',
  security: [{ adminKey: [] }],
  request: {
    params: PricePath,
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: UpdatePriceBody } } },
  },
  responses: {
    200: {
      description: 'Updated',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Price } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const outcome = await updatePrice(c.var.ctx, {
      environment: parseEnvironment(env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      priceId: id,
      ...c.req.valid('json'),
    });
    return c.json(priceBody(outcome.row), 200, idempotencyResponseHeaders(outcome));
  });
}
