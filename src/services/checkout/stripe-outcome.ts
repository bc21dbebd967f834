import Stripe from 'stripe';
import { AppError } from '../../errors';
import { toStripeError } from '../../stripe/errors';

/**
 * Stripe failures on the runtime routes, for a browser that decides whether to retry: Stripe
 * unreachable (network, timeout) → 503 STRIPE_UNREACHABLE; anything Stripe answered with an
 * error → 502 STRIPE_ERROR carrying Stripe's own (redacted) message. A key never appears.
 */
export function runtimeStripeError(err: unknown, what: string): AppError {
  if (err instanceof AppError && err.code !== 'STRIPE_UNAVAILABLE' && err.code !== 'STRIPE_ERROR') return err;
  const cause = err instanceof AppError ? err.cause : err;
  if (cause instanceof Stripe.errors.StripeConnectionError || !(cause instanceof Stripe.errors.StripeError)) {
    return new AppError('STRIPE_UNREACHABLE', `Stripe could not be reached (${what}); retry later`, {
      cause,
    });
  }
  const translated = toStripeError(cause, what);
  return new AppError('STRIPE_ERROR', translated.message, { cause, details: translated.details });
}

/** Runs a Stripe call of a runtime route and translates its failure (runtimeStripeError). */
export async function runtimeStripeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw runtimeStripeError(err, what);
  }
}
