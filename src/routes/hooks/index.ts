import type { App } from '../../http/context';
import * as deleteHook from './delete-hook';
import * as listDeliveries from './list-deliveries';
import * as listHooks from './list-hooks';
import * as patchHook from './patch-hook';
import * as postDeliveriesRetryDead from './post-deliveries-retry-dead';
import * as postDeliveryRetry from './post-delivery-retry';
import * as postHook from './post-hook';
import * as postHookRotateSecret from './post-hook-rotate-secret';

/** The app's hook endpoints and their deliveries. The deliveries paths are mounted before {id}. */
export function registerHookRoutes(app: App) {
  listDeliveries.register(app);
  postDeliveriesRetryDead.register(app);
  postDeliveryRetry.register(app);
  postHook.register(app);
  listHooks.register(app);
  patchHook.register(app);
  deleteHook.register(app);
  postHookRotateSecret.register(app);
}
