import { StripeApiError } from './errors';
import type { Book } from './store';

/**
 * Restricted keys (`rk_test_…`/`rk_live_…`): per-resource `none`/`read`/`write`, checked per
 * request. GET needs read (or write); POST and DELETE need write. Stripe names the missing
 * permission and the account in its 403, which Paywire uses to identify restricted keys.
 */
export type Access = 'none' | 'read' | 'write';

export const PERMISSION_RESOURCES = [
  'account',
  'balance',
  'billing_portal',
  'charge',
  'checkout_session',
  'customer',
  'event',
  'invoice',
  'payment_intent',
  'payment_method',
  'price',
  'product',
  'subscription',
  'webhook',
] as const;
export type PermissionResource = (typeof PERMISSION_RESOURCES)[number];
export type Permissions = Partial<Record<PermissionResource, Access>>;

const RESOURCE_BY_SEGMENT: Record<string, PermissionResource> = {
  account: 'account',
  accounts: 'account',
  balance_transactions: 'balance',
  billing_portal: 'billing_portal',
  charges: 'charge',
  refunds: 'charge',
  checkout: 'checkout_session',
  customers: 'customer',
  events: 'event',
  invoices: 'invoice',
  invoice_payments: 'invoice',
  invoiceitems: 'invoice',
  payment_intents: 'payment_intent',
  payment_methods: 'payment_method',
  prices: 'price',
  products: 'product',
  subscriptions: 'subscription',
  subscription_items: 'subscription',
  webhook_endpoints: 'webhook',
};

export interface RestrictedKey {
  key: string;
  book: Book;
  permissions: Permissions;
}

function mask(key: string): string {
  const prefix = key.slice(0, 8);
  return `${prefix}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
}

/** Throws Stripe's 403 when a restricted key may not make this request. */
export function checkPermission(restricted: RestrictedKey, method: string, path: string): void {
  const segment = path.split('/')[2] ?? '';
  const resource = RESOURCE_BY_SEGMENT[segment];
  if (!resource) return;
  const access = restricted.permissions[resource] ?? 'none';
  const needed = method === 'GET' ? 'read' : 'write';
  if (access === 'write' || (access === 'read' && needed === 'read')) return;
  throw new StripeApiError(403, {
    type: 'invalid_request_error',
    message: `The provided key '${mask(restricted.key)}' does not have the required permissions for this endpoint on account '${restricted.book.account.id}'. Having the 'rak_${resource}_${needed}' permission would allow this request to continue.`,
  });
}

export function parsePermissions(value: unknown): Permissions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      message: 'permissions must be an object',
      param: 'permissions',
    });
  }
  const out: Permissions = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(PERMISSION_RESOURCES as readonly string[]).includes(k)) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        message: `Unknown permission resource '${k}'. Known: ${PERMISSION_RESOURCES.join(', ')}`,
        param: `permissions[${k}]`,
      });
    }
    if (v !== 'none' && v !== 'read' && v !== 'write') {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        message: `Permission for '${k}' must be none, read or write`,
        param: `permissions[${k}]`,
      });
    }
    out[k as PermissionResource] = v;
  }
  return out;
}
