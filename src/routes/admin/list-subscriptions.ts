import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listSubscriptions } from '../../services/projection-read/subscriptions';
import { BoolQuery, boolQuery, StripeIdQuery, SubjectQuery, Subscription, subscription } from './schemas';

const SubscriptionStatus = z.enum([
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
]);

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/subscriptions',
  tags: ['projection'],
  summary: 'Mirrored Stripe subscriptions with their items, newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      status: SubscriptionStatus.optional(),
      customer: StripeIdQuery('cus'),
      subject: SubjectQuery,
      price: StripeIdQuery('price'),
      includeDeleted: BoolQuery,
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(Subscription), 'A page of subscriptions'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listSubscriptions(c.var.db(), environment, {
      status: q.status,
      customer: q.customer,
      subject: q.subject,
      price: q.price,
      includeDeleted: boolQuery(q.includeDeleted),
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(subscription), nextCursor: page.nextCursor }, 200);
  });
}
