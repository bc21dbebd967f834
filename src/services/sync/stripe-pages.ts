import Stripe from 'stripe';
import type { StripeObject } from '../projection/stripe-object';
import type { SyncResource } from './run-state';

export const PAGE_SIZE = 100;

export interface Page {
  data: StripeObject[];
  hasMore: boolean;
}

/** Wall-clock budget of one slice; Stripe calls are wall time, so everything counts. */
export interface Budget {
  /** ms left before the slice must stop */
  remaining(): number;
}

/** What a slice spent: Stripe requests and database round trips. */
export interface CallTally {
  stripeCalls: number;
  dbRoundTrips: number;
}

/**
 * One list page of a resource, newest first. Prices and products are listed without `active`
 * (both active and archived), subscriptions with `status=all` (canceled ones included);
 * subscriptions carry their items (Stripe embeds the item list; a list with `has_more` is
 * completed by listItemsAfter).
 */
export function listPage(
  stripe: Stripe,
  resource: SyncResource,
  startingAfter: string | null,
  options: Stripe.RequestOptions,
): Promise<Page> {
  const params = { limit: PAGE_SIZE, ...(startingAfter ? { starting_after: startingAfter } : {}) };
  const page = (list: Promise<Stripe.ApiList<unknown>>) =>
    list.then((l) => ({ data: l.data as StripeObject[], hasMore: l.has_more }));
  switch (resource) {
    case 'products':
      return page(stripe.products.list(params, options));
    case 'prices':
      return page(stripe.prices.list(params, options));
    case 'customers':
      return page(stripe.customers.list(params, options));
    case 'subscriptions':
      return page(stripe.subscriptions.list({ ...params, status: 'all' }, options));
    default:
      throw new Error(`unknown resource ${resource satisfies never}`);
  }
}

/** The remaining items of a subscription whose embedded item list was cut (`has_more`). */
export async function listItemsAfter(
  stripe: Stripe,
  subscriptionId: string,
  startingAfter: string,
  options: Stripe.RequestOptions,
): Promise<Page> {
  const l = await stripe.subscriptionItems.list(
    { subscription: subscriptionId, limit: PAGE_SIZE, starting_after: startingAfter },
    options,
  );
  return { data: l.data as unknown as StripeObject[], hasMore: l.has_more };
}

/** Stripe being busy or down (429, 5xx, timeout, connection): worth retrying after a pause. */
export function isTransientStripeError(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return false;
  if (
    err.type === 'StripeRateLimitError' ||
    err.type === 'StripeAPIError' ||
    err.type === 'StripeConnectionError'
  )
    return true;
  return err.statusCode === 429 || (err.statusCode ?? 0) >= 500;
}

/** A `starting_after` cursor whose object no longer exists (deleted during the pass). */
export function isMissingCursor(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeInvalidRequestError &&
    err.code === 'resource_missing' &&
    err.param === 'starting_after'
  );
}

export const MAX_ATTEMPTS = 4;
const BASE_DELAY_MS = 400;
const MAX_DELAY_MS = 8_000;
/** what a Stripe call may take before it is abandoned (also capped by the budget) */
const CALL_TIMEOUT_MS = 15_000;
const MIN_CALL_TIMEOUT_MS = 5_000;

/**
 * Runs a Stripe call with its own retries: each attempt is one request (stripe-node's retries
 * are off, so `tally` counts requests exactly). Transient failures wait an exponential pause
 * with jitter (or Stripe's Retry-After) and retry while the budget allows; then the error is
 * thrown and the slice stops, to resume from its cursor on a later tick.
 */
export async function callStripe<T>(
  budget: Budget,
  tally: CallTally,
  call: (options: Stripe.RequestOptions) => Promise<T>,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // A call may outlive a nearly spent budget a little (the slice's first page is always read).
    const timeout = Math.min(CALL_TIMEOUT_MS, Math.max(MIN_CALL_TIMEOUT_MS, budget.remaining()));
    tally.stripeCalls++;
    try {
      return await call({ maxNetworkRetries: 0, timeout });
    } catch (err) {
      if (!isTransientStripeError(err) || attempt >= MAX_ATTEMPTS) throw err;
      const pause = retryPause(err, attempt);
      if (pause >= budget.remaining()) throw err;
      await sleep(pause);
    }
  }
}

function retryPause(err: unknown, attempt: number): number {
  const header = (err as { headers?: Record<string, string> }).headers?.['retry-after'];
  const retryAfter = header ? Number(header) * 1000 : Number.NaN;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter, MAX_DELAY_MS);
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so concurrent ticks do not retry in step.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
