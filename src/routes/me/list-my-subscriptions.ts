import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { listMySubscriptions, SUBSCRIPTION_STATUSES } from '../../services/me/list-my-subscriptions';
import { pageBody } from '../list-route';
import { meListInput, meListRoute } from './me-list-route';
import { MySubscription, mySubscriptionBody } from './schemas';

export const route = meListRoute({
  path: '/v1/{env}/me/subscriptions',
  summary: "The caller's subscriptions: every subject they may bill (read under RLS), newest first",
  query: { status: z.enum(SUBSCRIPTION_STATUSES).optional() },
  item: MySubscription,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { status, ...query } = c.req.valid('query');
    const input = meListInput(c.var.user, c.req.valid('param').env, query);
    const page = await listMySubscriptions(c.var.ctx, { ...input, ...(status ? { status } : {}) });
    return c.json(pageBody(page, mySubscriptionBody), 200);
  });
}
