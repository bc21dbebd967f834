import type Stripe from 'stripe';
import { cancelSubscriptionNow } from './billing';
import type { Ctx } from './context';
import { emitEvent } from './events';
import { deterministicBase62, newId } from './ids';
import { clone } from './store';

/** Customers as the emulator models them, shared by the customers resource and checkout. */

/** Builds a customer with the field set of the pinned API version. */
export function buildCustomer(ctx: Ctx, fields: Partial<Stripe.Customer> = {}): Stripe.Customer {
  const id = newId('customer');
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created: ctx.book.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: deterministicBase62(id, 8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: ctx.book.livemode,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
    ...fields,
  };
}

/** Creates a customer and emits `customer.created`. */
export function createCustomer(ctx: Ctx, fields: Partial<Stripe.Customer> = {}): Stripe.Customer {
  const customer = ctx.book.customers.insert(buildCustomer(ctx, fields));
  emitEvent(ctx, 'customer.created', customer);
  return customer;
}

/** Deletes a customer: cancels its subscriptions (each emits `customer.subscription.deleted`). */
export function deleteCustomer(ctx: Ctx, customer: Stripe.Customer): void {
  for (const sub of ctx.book.subscriptions.values()) {
    if (sub.customer === customer.id && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
      cancelSubscriptionNow(ctx, sub, { reason: 'cancellation_requested' });
    }
  }
  const snapshot = clone(customer);
  ctx.book.customers.delete(customer.id);
  ctx.book.deletedCustomers.add(customer.id);
  emitEvent(ctx, 'customer.deleted', snapshot);
}
