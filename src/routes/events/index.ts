import type { App } from '../../http/context';
import * as getEvent from './get-event';
import * as listEvents from './list-events';
import * as retryEvent from './retry-event';
import * as retryFailedEvents from './retry-failed-events';

/** Admin routes over received Stripe events. retry-failed is mounted before {id} routes. */
export function registerEventRoutes(app: App) {
  retryFailedEvents.register(app);
  listEvents.register(app);
  getEvent.register(app);
  retryEvent.register(app);
}
