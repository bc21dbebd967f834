import type Stripe from 'stripe';
import type { Environment } from '../../../drizzle/schema';
import { AppError, type ErrorCode } from '../../errors';
import { redact } from '../../redact';
import { stripeCall, toStripeError } from '../../stripe/errors';

/** Metadata that marks an endpoint as created by Paywire (for which environment). */
export const MANAGED_METADATA_KEY = 'paywire_managed';
export const managedMetadata = (environment: Environment) => ({
  [MANAGED_METADATA_KEY]: 'true',
  paywire_environment: environment,
});

export function isPaywireManaged(endpoint: Pick<Stripe.WebhookEndpoint, 'metadata'>): boolean {
  return endpoint.metadata?.[MANAGED_METADATA_KEY] === 'true';
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The URL Stripe should deliver to: `<base>/webhooks/stripe/<env>`, where base is the caller's
 * override, else PAYWIRE_PUBLIC_URL, else the origin the request came in on. An override must
 * be https (plain http only for localhost/127.0.0.1, for local development) without
 * credentials, query or fragment; it may already end in /webhooks/stripe/<env>.
 */
export function resolveWebhookUrl(input: {
  environment: Environment;
  override?: string;
  publicUrl?: string;
  requestOrigin: string;
}): string {
  const suffix = `/webhooks/stripe/${input.environment}`;
  let base: URL;
  if (input.override !== undefined) {
    base = parseOverride(input.override);
  } else {
    try {
      base = new URL(input.publicUrl || input.requestOrigin);
    } catch {
      throw new AppError('NOT_CONFIGURED', 'PAYWIRE_PUBLIC_URL is not a valid URL');
    }
  }
  const path = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${path.endsWith(suffix) ? path : `${path}${suffix}`}`;
}

function parseOverride(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'url must be an absolute URL such as https://pay.example.com');
  }
  const secure = url.protocol === 'https:';
  const localHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (!secure && !localHttp) {
    throw new AppError(
      'VALIDATION_FAILED',
      'url must use https (plain http only for localhost or 127.0.0.1)',
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new AppError('VALIDATION_FAILED', 'url must not contain credentials, a query or a fragment');
  }
  return url;
}

/** Every webhook endpoint of the account (Stripe pages them 100 at a time). */
export async function listWebhookEndpoints(stripe: Stripe): Promise<Stripe.WebhookEndpoint[]> {
  const all: Stripe.WebhookEndpoint[] = [];
  let startingAfter: string | undefined;
  for (let page = 0; page < 20; page++) {
    const list = await stripeCall('list webhook endpoints', () =>
      stripe.webhookEndpoints.list({
        limit: 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      }),
    );
    all.push(...list.data);
    const last = list.data[list.data.length - 1];
    if (!list.has_more || !last) break;
    startingAfter = last.id;
  }
  return all;
}

export interface EndpointRemoval {
  id: string;
  url: string | null;
  removed: boolean;
  /** why it was not removed (Stripe's reason, redacted) and the error code it maps to */
  reason?: string;
  code?: ErrorCode;
}

/**
 * Deletes an endpoint. An endpoint that is already gone counts as removed. Any other failure
 * is reported, not thrown: the caller's main change has already happened.
 */
export async function removeWebhookEndpoint(
  stripe: Stripe,
  endpoint: { id: string; url: string | null },
): Promise<EndpointRemoval> {
  try {
    await stripe.webhookEndpoints.del(endpoint.id);
    return { ...endpoint, removed: true };
  } catch (err) {
    if (isResourceMissing(err)) return { ...endpoint, removed: true };
    const error = toStripeError(err, 'delete webhook endpoint');
    return { ...endpoint, removed: false, reason: redact(error.message), code: error.code };
  }
}

export function isResourceMissing(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number };
  return e?.code === 'resource_missing' || e?.statusCode === 404;
}
