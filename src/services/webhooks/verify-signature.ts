import { stripeCryptoProvider, stripeWebhooks } from '../../stripe/client';

/** Stripe's default: a signature older than 5 minutes is a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Does `Stripe-Signature` sign this exact raw body with any of the secrets? Only the signature
 * is checked here; what the body says is checked after (parseEnvelope), so that a signed body
 * that is not a well-formed event is still recorded instead of lost.
 */
export async function verifyStripeSignature(
  rawBody: string,
  signatureHeader: string,
  secrets: string[],
): Promise<boolean> {
  for (const secret of secrets) {
    try {
      await stripeWebhooks.signature!.verifyHeaderAsync(
        rawBody,
        signatureHeader,
        secret,
        SIGNATURE_TOLERANCE_SECONDS,
        stripeCryptoProvider,
      );
      return true;
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'StripeSignatureVerificationError') throw err;
    }
  }
  return false;
}
