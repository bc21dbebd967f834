import type { App } from '../http/context';
import * as getHealthz from './system/get-healthz';
import * as postStripeWebhook from './webhooks/post-stripe-webhook';

/** Every route of the API; each file declares its OpenAPI route and mounts its handler. */
const ROUTES: Array<{ register(app: App): void }> = [getHealthz, postStripeWebhook];

export function registerRoutes(app: App) {
  for (const route of ROUTES) route.register(app);
}
