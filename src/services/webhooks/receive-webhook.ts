import type { Environment } from '../../../drizzle/schema';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';
import { needsRawBody, parseEnvelope } from './event-envelope';
import { type IngestResult, ingestEvent, recordMalformedEvent } from './ingest-event';
import { signingSecrets } from './signing-secrets';
import { verifyStripeSignature } from './verify-signature';

/**
 * A Stripe webhook delivery: verify the signature over the raw body, refuse an event whose
 * livemode contradicts the environment, then record and project it (ingestEvent). Nothing is
 * written unless the signature and environment check out.
 *
 * A signed body that is not a well-formed event, or that Postgres cannot hold, is recorded as
 * `failed` with the reason and its raw text, and answered 200 (status `failed`): Stripe would
 * otherwise retry it for days and every retry would fail the same way. It shows in status and
 * the events list, and can be retried once the cause is fixed.
 */
export async function receiveStripeWebhook(
  ctx: ServiceContext,
  input: { environment: Environment; rawBody: string; signature: string | undefined },
): Promise<IngestResult> {
  const { environment, rawBody, signature } = input;
  if (!signature) throw new AppError('INVALID_SIGNATURE', 'Missing Stripe-Signature header');

  let { secrets, cached } = await signingSecrets(ctx, environment);
  let verified = await verifyStripeSignature(rawBody, signature, secrets);
  if (!verified && cached) {
    // The endpoint (and its secret) may have been replaced since the secrets were cached.
    ({ secrets, cached } = await signingSecrets(ctx, environment, { fresh: true }));
    verified = await verifyStripeSignature(rawBody, signature, secrets);
  }
  if (!verified) {
    if (secrets.length === 0) {
      // 503, not 400: Stripe keeps retrying, and the events land once an endpoint is configured.
      throw new AppError('NOT_CONFIGURED', `No webhook signing secret is configured for ${environment}`);
    }
    throw new AppError(
      'INVALID_SIGNATURE',
      'Stripe-Signature does not match the body (wrong secret, tampered body or expired timestamp)',
    );
  }

  const envelope = parseEnvelope(rawBody);
  const { id, livemode } = envelope.ok ? envelope.event : envelope.partial;
  if (livemode !== undefined && livemode !== (environment === 'live')) {
    throw new AppError(
      'LIVEMODE_MISMATCH',
      `Event ${id ?? '(no id)'} has livemode=${livemode} but was sent to the ${environment} endpoint`,
    );
  }
  if (!envelope.ok) return recordMalformedEvent(ctx, { environment, rawBody, envelope });
  return ingestEvent(ctx, {
    environment,
    event: envelope.event,
    source: 'webhook',
    // The body is the event's JSON: stored as the jsonb as it is, unless it holds numbers
    // JavaScript rounds (then the parsed event goes to jsonb and the body beside it).
    ...(needsRawBody(rawBody) ? { rawBody } : { payloadText: rawBody }),
  });
}
