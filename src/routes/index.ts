import type { App } from '../http/context';
import { registerAdminRoutes } from './admin';
import { registerAlertRoutes } from './alerts';
import { registerCatalogRoutes } from './catalog';
import { registerEventRoutes } from './events';
import { registerHookRoutes } from './hooks';
import { registerMeRoutes } from './me';
import { registerOutboxRoutes } from './outbox';
import { registerRecipeRoutes } from './recipes';
import { registerRuntimeRoutes } from './runtime';
import { registerSyncRoutes } from './sync';
import * as getHealthz from './system/get-healthz';
import * as postStripeWebhook from './webhooks/post-stripe-webhook';

/** Every route of the API; each file declares its OpenAPI route and mounts its handler. */
export function registerRoutes(app: App) {
  getHealthz.register(app);
  postStripeWebhook.register(app);
  registerEventRoutes(app);
  registerAdminRoutes(app);
  registerAlertRoutes(app);
  registerCatalogRoutes(app);
  registerSyncRoutes(app);
  registerHookRoutes(app);
  registerOutboxRoutes(app);
  registerRuntimeRoutes(app);
  registerMeRoutes(app);
  registerRecipeRoutes(app);
}
