import type { App } from '../../http/context';
import * as getEvent from './get-event';
import * as listEvents from './list-events';
import * as postEventRetry from './post-event-retry';
import * as postEventsRetryFailed from './post-events-retry-failed';

/** Admin routes over received Stripe events. retry-failed is mounted before {id} routes. */
export function registerEventRoutes(app: App) {
  postEventsRetryFailed.register(app);
  listEvents.register(app);
  getEvent.register(app);
  postEventRetry.register(app);
}
