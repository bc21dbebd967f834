/**
 * Real-shaped Stripe objects and events for tests and benchmarks: each object starts from
 * Stripe's own example object (test/fixtures/stripe-objects.json, copied from the API's
 * published examples) with the fields a scenario cares about overridden.
 */
import fixtures from '../fixtures/stripe-objects.json';

export type Obj = Record<string, unknown>;

export interface TestEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
  data: { object: Obj; previous_attributes?: Obj };
}

const resources = (fixtures as { resources: Record<string, Obj> }).resources;
export const API_VERSION = '2026-10-28.endive';

function base(name: string): Obj {
  const fixture = resources[name];
  if (!fixture) throw new Error(`no fixture ${name}`);
  return structuredClone(fixture);
}

let seq = 0;
export function uniqueId(prefix: string): string {
  seq += 1;
  return `${prefix}_${Date.now().toString(36)}${seq.toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`;
}

export function event(
  type: string,
  object: Obj,
  options: { created: number; id?: string; livemode?: boolean; previous?: Obj },
): TestEvent {
  return {
    id: options.id ?? uniqueId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: options.created,
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: structuredClone(object),
      ...(options.previous ? { previous_attributes: options.previous } : {}),
    },
  };
}

export const objects = {
  product: (o: Obj = {}): Obj => ({ ...base('product'), id: uniqueId('prod'), metadata: {}, ...o }),
  price: (o: Obj = {}): Obj => ({ ...base('price'), id: uniqueId('price'), metadata: {}, ...o }),
  customer: (o: Obj = {}): Obj => ({
    ...base('customer'),
    id: uniqueId('cus'),
    email: 'buyer@example.com',
    name: 'Buyer',
    metadata: {},
    ...o,
  }),
  checkoutSession: (o: Obj = {}): Obj => ({
    ...base('checkout.session'),
    id: uniqueId('cs_test'),
    metadata: {},
    ...o,
  }),
  subscription: (o: Obj = {}): Obj => ({
    ...base('subscription'),
    id: uniqueId('sub'),
    metadata: {},
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    trial_start: null,
    trial_end: null,
    cancel_at_period_end: false,
    ...o,
  }),
  subscriptionItem: (o: Obj = {}): Obj => ({
    ...base('subscription_item'),
    id: uniqueId('si'),
    metadata: {},
    ...o,
  }),
  invoice: (o: Obj = {}): Obj => ({ ...base('invoice'), id: uniqueId('in'), metadata: {}, ...o }),
  paymentIntent: (o: Obj = {}): Obj => ({
    ...base('payment_intent'),
    id: uniqueId('pi'),
    metadata: {},
    ...o,
  }),
  charge: (o: Obj = {}): Obj => ({ ...base('charge'), id: uniqueId('ch'), metadata: {}, ...o }),
  refund: (o: Obj = {}): Obj => ({ ...base('refund'), id: uniqueId('re'), metadata: {}, ...o }),
};

/** A subscription object whose items list holds the given items (complete list). */
export function withItems(subscription: Obj, items: Obj[]): Obj {
  return {
    ...subscription,
    items: {
      object: 'list',
      data: items,
      has_more: false,
      url: `/v1/subscription_items?subscription=${subscription.id}`,
    },
  };
}
