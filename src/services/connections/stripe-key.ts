import type Stripe from 'stripe';
import type { Environment } from '../../../drizzle/schema';
import { AppError } from '../../errors';
import { toStripeError } from '../../stripe/errors';

export type KeyKind = 'secret' | 'restricted';

const KEY_SHAPE = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,247}$/;

/**
 * Checks a Stripe API key's shape and that it belongs to `environment`, before any call to
 * Stripe. Messages name the prefix only, never the key.
 *   sk_test_ / rk_test_  → test        sk_live_ / rk_live_ → live
 */
export function parseStripeKey(secretKey: string, environment: Environment): { kind: KeyKind } {
  const expected = environment === 'live' ? 'sk_live_ or rk_live_' : 'sk_test_ or rk_test_';
  const m = KEY_SHAPE.exec(secretKey);
  if (!m) {
    if (/^pk_(test|live)_/.test(secretKey)) {
      throw new AppError(
        'INVALID_STRIPE_KEY',
        `That is a publishable key; Paywire needs a secret key (${expected}…)`,
      );
    }
    if (/^whsec_/.test(secretKey)) {
      throw new AppError(
        'INVALID_STRIPE_KEY',
        `That is a webhook signing secret; Paywire needs a secret key (${expected}…)`,
      );
    }
    throw new AppError(
      'INVALID_STRIPE_KEY',
      `Not a Stripe secret key: expected ${expected} followed by letters, digits and underscores`,
    );
  }
  const [, kind, keyEnvironment] = m;
  if (keyEnvironment !== environment) {
    throw new AppError(
      'KEY_ENVIRONMENT_MISMATCH',
      `A ${kind}_${keyEnvironment}_ key belongs to the ${keyEnvironment} environment, not ${environment} (expected ${expected}…)`,
    );
  }
  return { kind: kind === 'rk' ? 'restricted' : 'secret' };
}

export interface VerifiedAccount {
  accountId: string;
  accountName: string | null;
}

/**
 * What a restricted key must be able to read. Write permissions (Checkout Sessions, Customers,
 * Billing Portal, Webhook Endpoints) cannot be probed without side effects; a missing one shows
 * up as STRIPE_ERROR with Stripe's reason when first used.
 */
const REQUIRED_READS: Array<{ permission: string; probe: (stripe: Stripe) => Promise<unknown> }> = [
  { permission: 'Products: read', probe: (s) => s.products.list({ limit: 1 }) },
  { permission: 'Prices: read', probe: (s) => s.prices.list({ limit: 1 }) },
  { permission: 'Customers: read', probe: (s) => s.customers.list({ limit: 1 }) },
  { permission: 'Subscriptions: read', probe: (s) => s.subscriptions.list({ limit: 1 }) },
  { permission: 'Events: read', probe: (s) => s.events.list({ limit: 1 }) },
  { permission: 'Webhook Endpoints: read', probe: (s) => s.webhookEndpoints.list({ limit: 1 }) },
];

/**
 * Validates the key against Stripe and returns the account it belongs to.
 *
 * - A secret key must retrieve its own account (GET /v1/account).
 * - A restricted key must pass every probe in REQUIRED_READS; all missing permissions are
 *   reported at once (400 MISSING_STRIPE_PERMISSIONS). If it may not read the account, the
 *   account id is taken from Stripe's permission error ("… on account 'acct_…'"), which Stripe
 *   includes precisely so restricted keys can be identified.
 */
export async function verifyStripeKey(stripe: Stripe, kind: KeyKind): Promise<VerifiedAccount> {
  let account: Stripe.Account | null = null;
  let accountIdFromError: string | null = null;
  try {
    account = await stripe.accounts.retrieveCurrent();
  } catch (err) {
    if (kind === 'secret' || !isPermissionError(err)) {
      throw toStripeError(err, 'retrieve account', { invalidRequest: 'INVALID_STRIPE_KEY' });
    }
    accountIdFromError = accountIdInMessage(err);
  }

  if (kind === 'restricted') {
    const missing: string[] = [];
    for (const { permission, probe } of REQUIRED_READS) {
      try {
        await probe(stripe);
      } catch (err) {
        if (!isPermissionError(err))
          throw toStripeError(err, `check ${permission}`, { invalidRequest: 'INVALID_STRIPE_KEY' });
        missing.push(permission);
        accountIdFromError ??= accountIdInMessage(err);
      }
    }
    if (missing.length > 0) {
      throw new AppError(
        'MISSING_STRIPE_PERMISSIONS',
        `The restricted key lacks permissions Paywire needs: ${missing.join(', ')}`,
        { details: { missing } },
      );
    }
  }

  const accountId = account?.id ?? accountIdFromError;
  if (!accountId) {
    throw new AppError(
      'MISSING_STRIPE_PERMISSIONS',
      'Stripe did not say which account this restricted key belongs to; grant it read access to the account',
      { details: { missing: ['Account: read'] } },
    );
  }
  return { accountId, accountName: account ? accountDisplayName(account) : null };
}

/**
 * Runs a Stripe call with the stored key; a permission error (a restricted key without what
 * the call needs) becomes 400 MISSING_STRIPE_PERMISSIONS naming the permission.
 */
export async function requirePermission<T>(permission: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    throw new AppError(
      'MISSING_STRIPE_PERMISSIONS',
      `The connected key lacks a permission Paywire needs here: ${permission}`,
      {
        details: { missing: [permission] },
        cause: err,
      },
    );
  }
}

function accountDisplayName(account: Stripe.Account): string | null {
  return account.settings?.dashboard?.display_name || account.business_profile?.name || account.email || null;
}

function isPermissionError(err: unknown): boolean {
  // Either Stripe's own error, or one already translated by stripeCall (the original is its cause).
  const e = (err instanceof AppError ? err.cause : err) as { type?: string; statusCode?: number } | undefined;
  return e?.type === 'StripePermissionError' || e?.statusCode === 403;
}

function accountIdInMessage(err: unknown): string | null {
  const message = (err as { message?: unknown })?.message;
  const m = typeof message === 'string' ? /\bacct_[A-Za-z0-9]+/.exec(message) : null;
  return m ? m[0] : null;
}
