import Stripe from 'stripe';
import { AppError } from '../errors';
import { redact } from '../redact';

/**
 * Translates a Stripe failure at the edge of a service. Stripe being down, slow or rate
 * limiting is STRIPE_UNAVAILABLE (502, retry later); Stripe rejecting what we asked is
 * STRIPE_ERROR with Stripe's own (redacted) reason, or a caller error when `invalidRequest`
 * says the bad input came from the caller.
 */
export function toStripeError(
  err: unknown,
  what: string,
  options: { invalidRequest?: 'BAD_REQUEST' | 'INVALID_STRIPE_KEY' | 'STRIPE_ERROR' } = {},
): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Stripe.errors.StripeError) {
    const reason = redact(err.message);
    switch (err.type) {
      case 'StripeConnectionError':
      case 'StripeAPIError':
      case 'StripeRateLimitError':
        return new AppError('STRIPE_UNAVAILABLE', `Stripe is unavailable (${what}): ${reason}`, {
          cause: err,
        });
      case 'StripeAuthenticationError':
      case 'StripePermissionError':
        return new AppError(
          options.invalidRequest === 'INVALID_STRIPE_KEY' ? 'INVALID_STRIPE_KEY' : 'STRIPE_ERROR',
          `Stripe rejected the key (${what}): ${reason}`,
          {
            cause: err,
          },
        );
      case 'StripeInvalidRequestError':
      case 'StripeCardError':
      case 'StripeIdempotencyError':
        return new AppError(
          options.invalidRequest ?? 'STRIPE_ERROR',
          `Stripe rejected the request (${what}): ${reason}`,
          {
            cause: err,
            details: { stripeCode: err.code, param: err.param },
          },
        );
      default:
        if ((err.statusCode ?? 500) >= 500) {
          return new AppError('STRIPE_UNAVAILABLE', `Stripe is unavailable (${what}): ${reason}`, {
            cause: err,
          });
        }
        return new AppError('STRIPE_ERROR', `Stripe error (${what}): ${reason}`, { cause: err });
    }
  }
  return new AppError('STRIPE_UNAVAILABLE', `Stripe call failed (${what})`, { cause: err });
}

export async function stripeCall<T>(
  what: string,
  fn: () => Promise<T>,
  options?: Parameters<typeof toStripeError>[2],
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStripeError(err, what, options);
  }
}
