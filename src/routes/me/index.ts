import type { App } from '../../http/context';
import * as listMyEntitlements from './list-my-entitlements';
import * as listMyPayments from './list-my-payments';
import * as listMySubscriptions from './list-my-subscriptions';

/** /v1/{env}/me/*: the signed-in caller's own billing state, read under RLS. */
export function registerMeRoutes(app: App) {
  listMySubscriptions.register(app);
  listMyPayments.register(app);
  listMyEntitlements.register(app);
}
