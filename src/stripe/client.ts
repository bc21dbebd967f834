import Stripe from 'stripe';

/** The one Stripe API version Paywire speaks: the client, the managed webhook endpoint and the emulator. */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

export interface StripeTarget {
  /** e.g. http://127.0.0.1:12111 for the local emulator; empty = api.stripe.com */
  STRIPE_API_BASE?: string;
}

/** A Stripe client on the fetch HTTP client (Workers have no Node http). */
export function createStripeClient(secretKey: string, target: StripeTarget = {}): Stripe {
  const config: Stripe.StripeConfig = {
    apiVersion: STRIPE_API_VERSION,
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'paywire', url: 'https://github.com/paywire/paywire' },
  };
  if (target.STRIPE_API_BASE) {
    const base = new URL(target.STRIPE_API_BASE);
    config.host = base.hostname;
    config.port = base.port || (base.protocol === 'https:' ? '443' : '80');
    config.protocol = base.protocol === 'https:' ? 'https' : 'http';
  }
  return new Stripe(secretKey, config);
}

/** Signature verification only needs the static helpers, not a key. */
export const stripeWebhooks = Stripe.webhooks;
export const stripeCryptoProvider = Stripe.createSubtleCryptoProvider();
