import type { Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import type { Bindings } from '../../env';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { type IngestResult, ingestEvent } from './ingest-event';
import { signingSecrets } from './signing-secrets';
import { assertEventShape, verifyStripeSignature } from './verify-signature';

/**
 * A Stripe webhook delivery: verify the signature over the raw body, refuse an event whose
 * livemode contradicts the environment, then record and project it (ingestEvent). Nothing is
 * written unless the signature and environment check out.
 */
export async function receiveStripeWebhook(input: {
  db: Db;
  env: Bindings;
  environment: Environment;
  rawBody: string;
  signature: string | undefined;
  logger?: Logger;
  /** runs work after the response (ctx.waitUntil): the periodic signing-secret reload */
  defer?: (work: Promise<unknown>) => void;
}): Promise<IngestResult> {
  const { db, env, environment, rawBody, signature } = input;
  if (!signature) throw new AppError('INVALID_SIGNATURE', 'Missing Stripe-Signature header');

  let { secrets, cached } = await signingSecrets(db, env, environment, {
    defer: input.defer,
    logger: input.logger,
  });
  let event = await verifyStripeSignature(rawBody, signature, secrets);
  if (!event && cached) {
    // The endpoint (and its secret) may have been replaced since the secrets were cached.
    ({ secrets, cached } = await signingSecrets(db, env, environment, { fresh: true }));
    event = await verifyStripeSignature(rawBody, signature, secrets);
  }
  if (!event) {
    if (secrets.length === 0) {
      // 503, not 400: Stripe keeps retrying, and the events land once an endpoint is configured.
      throw new AppError('NOT_CONFIGURED', `No webhook signing secret is configured for ${environment}`);
    }
    throw new AppError(
      'INVALID_SIGNATURE',
      'Stripe-Signature does not match the body (wrong secret, tampered body or expired timestamp)',
    );
  }
  assertEventShape(event);
  if (event.livemode !== (environment === 'live')) {
    throw new AppError(
      'LIVEMODE_MISMATCH',
      `Event ${event.id} has livemode=${event.livemode} but was sent to the ${environment} endpoint`,
    );
  }
  return ingestEvent(db, environment, event, { source: 'webhook', logger: input.logger });
}
