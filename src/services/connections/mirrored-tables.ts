import {
  checkoutSessions,
  customerMappings,
  customers,
  paymentHistory,
  portalSessions,
  prices,
  products,
  subscriptionItems,
  subscriptions,
  webhookEvents,
} from '../../../drizzle/schema';

/**
 * Tables that mirror one Stripe account per environment. They are cleared (in the same
 * transaction as the new connection row) when an environment is connected to a different
 * account. audit_log, sync_runs history, outbox and subject_members are not mirrors and stay.
 */
export const MIRRORED_TABLES = [
  products,
  prices,
  customers,
  customerMappings,
  subscriptions,
  subscriptionItems,
  paymentHistory,
  checkoutSessions,
  portalSessions,
  webhookEvents,
] as const;
