import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { BoolQuery } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listSubscriptions } from '../../services/projection-read/list-subscriptions';
import { listRoute, pageBody } from '../list-route';
import { StripeIdQuery, SubjectQuery, Subscription, subscriptionBody } from './schemas';

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

export const route = listRoute({
  path: '/admin/v1/{env}/subscriptions',
  tags: ['projection'],
  summary: 'Mirrored Stripe subscriptions with their items, newest first',
  query: {
    status: SubscriptionStatus.optional(),
    customer: StripeIdQuery('cus'),
    subject: SubjectQuery,
    price: StripeIdQuery('price').openapi({ description: 'subscriptions with an item on this price' }),
    includeDeleted: BoolQuery,
  },
  item: Subscription,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listSubscriptions(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, subscriptionBody), 200);
  });
}
