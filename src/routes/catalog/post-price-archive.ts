import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { archivePrice } from '../../services/catalog/archive-price';
import { Price, priceBody } from '../admin/schemas';
import {
  CATALOG_WRITE_ERRORS,
  IdempotencyHeaders,
  idempotencyResponseHeaders,
  PricePath,
  WriteResponseHeaders,
} from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/prices/{id}/archive',
  tags: ['catalog'],
  summary: 'Archive a price (active=false)',
  description:
    "New checkouts cannot use an archived price; existing subscriptions keep it. Stripe refuses to archive a product's default price (change or clear the default first: 502 STRIPE_ERROR with Stripe's message). No body.",
  security: [{ adminKey: [] }],
  request: { params: PricePath, headers: IdempotencyHeaders },
  responses: {
    200: {
      description: 'Archived',
      headers: WriteResponseHeaders,
      content: { 'application/json': { schema: Price } },
    },
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const outcome = await archivePrice(c.var.ctx, {
      environment: parseEnvironment(env),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      priceId: id,
    });
    return c.json(priceBody(outcome.row), 200, idempotencyResponseHeaders(outcome));
  });
}
