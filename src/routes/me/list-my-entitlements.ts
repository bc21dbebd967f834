import type { App } from '../../http/context';
import { listMyEntitlements } from '../../services/me/list-my-entitlements';
import { pageBody } from '../list-route';
import { meListInput, meListRoute } from './me-list-route';
import { Entitlement, entitlementBody } from './schemas';

export const route = meListRoute({
  path: '/v1/{env}/me/entitlements',
  summary:
    "The plans the caller's subjects hold: one entry per active, trialing or past_due subscription, with the `plan` metadata of its price or product",
  query: {},
  item: Entitlement,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = meListInput(c.var.user, c.req.valid('param').env, c.req.valid('query'));
    const page = await listMyEntitlements(c.var.ctx, input);
    return c.json(pageBody(page, entitlementBody), 200);
  });
}
