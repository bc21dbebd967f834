import type { App } from '../../http/context';
import * as postCheckoutSession from './post-checkout-session';
import * as postCustomerPortalSession from './post-customer-portal-session';

/**
 * Runtime routes under /v1/:env for signed-in end users (a JWT verified by userAuth, CORS from
 * PAYWIRE_ALLOWED_ORIGINS): Checkout and Customer Portal sessions, and the caller's own billing
 * state (/me/*). Every database access of these routes runs as the caller under RLS
 * (src/db/as-caller.ts).
 */
export function registerRuntimeRoutes(app: App) {
  postCheckoutSession.register(app);
  postCustomerPortalSession.register(app);
}
