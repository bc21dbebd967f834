import { AppError } from '../../errors';
import { stripeCryptoProvider, stripeWebhooks } from '../../stripe/client';
import type { StripeEventLike } from '../projection/stripe-object';

/** Stripe's default: a signature older than 5 minutes is a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Verifies `Stripe-Signature` over the exact raw body against any of the secrets, and parses
 * the event. Returns null when no secret matches (so the caller can retry with fresh secrets).
 */
export async function verifyStripeSignature(
  rawBody: string,
  signatureHeader: string,
  secrets: string[],
): Promise<StripeEventLike | null> {
  for (const secret of secrets) {
    try {
      const event = await stripeWebhooks.constructEventAsync(
        rawBody,
        signatureHeader,
        secret,
        SIGNATURE_TOLERANCE_SECONDS,
        stripeCryptoProvider,
      );
      return event as unknown as StripeEventLike;
    } catch (err) {
      if (err instanceof SyntaxError) {
        throw new AppError('INVALID_JSON', 'The webhook body is not valid JSON');
      }
      const type = (err as { type?: string }).type;
      if (type !== 'StripeSignatureVerificationError') throw err;
    }
  }
  return null;
}

export function assertEventShape(event: StripeEventLike): void {
  const ok =
    event &&
    typeof event.id === 'string' &&
    event.id.startsWith('evt_') &&
    typeof event.type === 'string' &&
    typeof event.created === 'number' &&
    typeof event.livemode === 'boolean' &&
    event.data &&
    typeof event.data.object === 'object';
  if (!ok) throw new AppError('BAD_REQUEST', 'The webhook body is not a Stripe event');
}
