import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { createPrice } from '../../services/catalog/create-price';
import { Price, priceBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  CreatePriceBody,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/prices',
  tags: ['catalog'],
  summary: 'Create a price (one-time or recurring)',
  description:
    'Creates the price in Stripe (currency, unitAmount, recurring interval/count/trialPeriodDays, lookupKey with transferLookupKey, nickname, metadata) and writes its projection row before answering. Amount, currency and interval cannot change later: create a new price (transferLookupKey moves the lookup key) and archive the old one. Retry-safe with `Idempotency-Key`.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: CreatePriceBody } } },
  },
  responses: {
    201: {
      description: 'Created (or the replay of an earlier create with the same key)',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Price } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const outcome = await createPrice(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      ...c.req.valid('json'),
    });
    return c.json(priceBody(outcome.row), 201, idempotencyResponseHeaders(outcome));
  });
}
