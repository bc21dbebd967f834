import { countApiCall } from './counters';
import { invalidRequest, StripeApiError } from './errors';
import { newId } from './ids';
import type { Book } from './store';

export interface FaultInput {
  method?: string | undefined;
  /** Path prefix (`/v1/customers`), or a regular expression when it starts with `^`. */
  path: string;
  /** Status to answer with; omit for latency only. */
  status?: number | undefined;
  /** Seconds for the `Retry-After` header. */
  retryAfter?: number | undefined;
  latencyMs?: number | undefined;
  /** How many matching requests to affect (default: all until cleared). */
  times?: number | undefined;
  /**
   * Matching requests to let through before the fault acts (default 0): `after: 2, times: 1`
   * fails the third page of a list walk, not the first.
   */
  after?: number | undefined;
  /** Sets `Stripe-Should-Retry` (stripe-node retries 429 only when it is `true`). */
  shouldRetry?: boolean | undefined;
  message?: string | undefined;
  /**
   * Handle the request first (objects created, events sent, the result saved for idempotent
   * replay), then answer `status`: a response lost on the way back, which is the case where a
   * client's retry must carry the same Idempotency-Key.
   */
  afterApply?: boolean | undefined;
}

export interface Fault extends FaultInput {
  id: string;
  /** Set when added with a secret key: only that account+mode is affected. */
  book: Book | undefined;
  hits: number;
  /** Matching requests let through so far (see `after`). */
  passed: number;
  matcher: (path: string) => boolean;
}

function compile(path: string): (p: string) => boolean {
  // A path starting with `^` is a regular expression; anything else is a prefix.
  if (path.startsWith('^')) {
    let re: RegExp;
    try {
      re = new RegExp(path);
    } catch {
      throw invalidRequest(`Invalid regular expression: ${path}`, 'path');
    }
    return (p) => re.test(p);
  }
  return (p) => p.startsWith(path);
}

export class FaultInjector {
  private faults: Fault[] = [];

  add(input: FaultInput, book: Book | undefined): Fault {
    const fault: Fault = {
      ...input,
      method: input.method?.toUpperCase(),
      id: newId('fault'),
      book,
      hits: 0,
      passed: 0,
      matcher: compile(input.path),
    };
    this.faults.push(fault);
    return fault;
  }

  list(book?: Book): Fault[] {
    return this.faults.filter((f) => !book || f.book === undefined || f.book === book);
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  /** Clears the faults of one book (or the global ones when `book` is undefined and `all` is false). */
  clear(book: Book | undefined, all = false): number {
    const before = this.faults.length;
    this.faults = all ? [] : this.faults.filter((f) => f.book !== book);
    return before - this.faults.length;
  }

  /**
   * Every `/v1` request passes here first, as through Stripe's edge: it is counted for its book
   * (dev/stripe/counters.ts), then the first fault matching it acts on it (one of its `times`),
   * unless the fault still lets `after` matching requests through.
   */
  take(method: string, path: string, book: Book | undefined): Fault | undefined {
    if (book) countApiCall(book, method, path);
    const matching = this.faults.filter(
      (f) =>
        (f.book === undefined || f.book === book) && (!f.method || f.method === method) && f.matcher(path),
    );
    const fault = matching.find((f) => f.passed >= (f.after ?? 0));
    for (const waiting of matching) if (waiting.passed < (waiting.after ?? 0)) waiting.passed++;
    if (!fault) return undefined;
    fault.hits++;
    if (fault.times !== undefined) {
      fault.times--;
      if (fault.times <= 0) this.remove(fault.id);
    }
    return fault;
  }
}

/** The Stripe error a fault answers with. */
export function faultError(fault: Fault): StripeApiError | undefined {
  const status = fault.status;
  if (status === undefined || (status >= 200 && status < 300)) return undefined;
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
  if (fault.shouldRetry !== undefined) headers['Stripe-Should-Retry'] = String(fault.shouldRetry);
  if (status === 429) {
    // Which limit was hit (https://docs.stripe.com/rate-limits): a flood of list calls is a rate.
    headers['Stripe-Rate-Limited-Reason'] ??= 'global-rate';
    return new StripeApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message:
          fault.message ??
          'Request rate limit exceeded. You can learn more about rate limits here https://docs.stripe.com/rate-limits.',
      },
      headers,
    );
  }
  if (status === 409) {
    return new StripeApiError(
      409,
      {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        message:
          fault.message ??
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.',
      },
      headers,
    );
  }
  if (status >= 500) {
    return new StripeApiError(
      status,
      { type: 'api_error', message: fault.message ?? 'An unknown error occurred' },
      headers,
    );
  }
  return new StripeApiError(
    status,
    { type: 'invalid_request_error', message: fault.message ?? `Injected fault (${status})` },
    headers,
  );
}
