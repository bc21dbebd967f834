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

/**
 * Stripe's WebCrypto provider, with the HMAC key of each signing secret imported once per
 * isolate instead of once per delivery (importKey was the largest single cost of verifying).
 * Stripe's provider takes the SubtleCrypto it should use; this one delegates to the runtime's
 * and only remembers imported keys, keyed by the secret's bytes.
 */
export const stripeCryptoProvider = Stripe.createSubtleCryptoProvider(cachingSubtleCrypto(crypto.subtle));

function cachingSubtleCrypto(subtle: SubtleCrypto): SubtleCrypto {
  const keys = new Map<string, Promise<CryptoKey>>();
  const decoder = new TextDecoder();
  return {
    importKey(
      format: 'raw',
      keyData: BufferSource,
      algorithm: Parameters<SubtleCrypto['importKey']>[2],
      extractable: boolean,
      usages: Parameters<SubtleCrypto['importKey']>[4],
    ) {
      const cacheable = format === 'raw' && !extractable && (algorithm as { name?: string })?.name === 'HMAC';
      if (!cacheable) return subtle.importKey(format, keyData, algorithm, extractable, usages);
      const id = `${usages.join(',')}:${decoder.decode(keyData)}`;
      let key = keys.get(id);
      if (!key) {
        key = subtle.importKey(format, keyData, algorithm, extractable, usages);
        key.catch(() => keys.delete(id));
        // A few secrets per environment (rotation keeps two); the bound only guards the map.
        if (keys.size >= 64) keys.clear();
        keys.set(id, key);
      }
      return key;
    },
    sign: (algorithm, key, data) => subtle.sign(algorithm, key, data),
    digest: (algorithm, data) => subtle.digest(algorithm, data),
  } as SubtleCrypto;
}
