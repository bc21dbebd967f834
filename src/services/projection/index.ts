import type { Environment } from '../../../drizzle/schema';
import { prepareSql } from '../../db/prepared';
import { projectPrice, projectProduct } from './catalog';
import { projectCheckoutSession } from './checkout';
import { projectCustomer } from './customers';
import { projectChargeRefunded, projectInvoice, projectPaymentIntent, projectRefund } from './payments';
import { idOf, type StripeEventLike } from './stripe-object';
import { subjectFromMetadata } from './subjects';
import { projectSubscription } from './subscriptions';
import type { ProjectionInput, Projector, Statement } from './types';

/** Event type → projector. This list is also the managed webhook endpoint's `enabled_events`. */
const PROJECTORS: Record<string, Projector> = {
  'product.created': projectProduct,
  'product.updated': projectProduct,
  'product.deleted': projectProduct,
  'price.created': projectPrice,
  'price.updated': projectPrice,
  'price.deleted': projectPrice,
  'customer.created': projectCustomer,
  'customer.updated': projectCustomer,
  'customer.deleted': projectCustomer,
  'checkout.session.completed': projectCheckoutSession,
  'checkout.session.expired': projectCheckoutSession,
  'checkout.session.async_payment_succeeded': projectCheckoutSession,
  'checkout.session.async_payment_failed': projectCheckoutSession,
  'customer.subscription.created': projectSubscription,
  'customer.subscription.updated': projectSubscription,
  'customer.subscription.deleted': projectSubscription,
  'customer.subscription.paused': projectSubscription,
  'customer.subscription.resumed': projectSubscription,
  'customer.subscription.trial_will_end': projectSubscription,
  'invoice.created': projectInvoice,
  'invoice.finalized': projectInvoice,
  'invoice.updated': projectInvoice,
  'invoice.paid': projectInvoice,
  'invoice.payment_succeeded': projectInvoice,
  'invoice.payment_failed': projectInvoice,
  'invoice.voided': projectInvoice,
  'invoice.marked_uncollectible': projectInvoice,
  'payment_intent.succeeded': projectPaymentIntent,
  'payment_intent.payment_failed': projectPaymentIntent,
  'payment_intent.canceled': projectPaymentIntent,
  'charge.refunded': projectChargeRefunded,
  'refund.created': projectRefund,
  'refund.updated': projectRefund,
  'refund.failed': projectRefund,
};

export const PROJECTED_EVENT_TYPES: readonly string[] = Object.freeze(Object.keys(PROJECTORS).sort());

/** The statements projecting `event`, or null when Paywire does not project this type. */
export function buildProjection(input: Omit<ProjectionInput, 'object'>): Statement[] | null {
  const projector = PROJECTORS[input.event.type];
  if (!projector) return null;
  const object = input.event.data?.object;
  if (!object || typeof object !== 'object' || typeof object.id !== 'string') {
    throw new Error(`event ${input.event.id} (${input.event.type}) has no data.object.id`);
  }
  return projector({ ...input, object });
}

/**
 * The advisory-lock keys of the rows this event's projection derives from another row
 * (migration 0017): its customer (subject from the customer's mapping) and its payment intent
 * (a refund's customer from its payment). Taken right after the event row, before the
 * projection reads or writes, in lockOrder (payment keys before customer keys), one order for
 * every transaction, so none waits on another in the opposite order.
 */
export function projectionLockKeys(environment: Environment, event: StripeEventLike): string[] {
  const object = event.data?.object;
  if (!object || typeof object !== 'object') return [];
  const keys: string[] = [];
  const payment = object.object === 'payment_intent' ? object.id : idOf(object, 'payment_intent');
  if (typeof payment === 'string') keys.push(`payment:${environment}:${payment}`);
  // A customer event touches other rows' subjects only when it maps the customer to one.
  const customer =
    object.object === 'customer'
      ? subjectFromMetadata(object)
        ? object.id
        : null
      : idOf(object, 'customer');
  if (typeof customer === 'string') keys.push(`customer:${environment}:${customer}`);
  return keys;
}

/** Payment keys before customer keys, then by key: the one order every transaction takes them in. */
export function lockOrder(keys: string[]): string[] {
  const rank = (k: string) => (k.startsWith('payment:') ? 0 : 1);
  return [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

const lockKeys = prepareSql<{ keys: string[] }>(
  'select pg_advisory_xact_lock(paywire.billing_lock_key(k)) from unnest($1::text[]) as k',
  ['keys'],
);

/** One statement taking the advisory locks of these keys in lockOrder (none: null). */
export function lockStatement(keys: string[]): Statement | null {
  return keys.length > 0 ? lockKeys.bind({ keys: lockOrder(keys) }) : null;
}

export type { StripeEventLike };
