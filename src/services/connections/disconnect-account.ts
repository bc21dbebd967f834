import { and, eq, isNull, sql } from 'drizzle-orm';
import { connections, type Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { forgetSigningSecrets } from '../webhooks/signing-secrets';
import { decryptSecretKey, requireConnection } from './repository';
import { type EndpointRemoval, removeWebhookEndpoint } from './webhook-endpoints';

export interface DisconnectResult {
  environment: Environment;
  accountId: string;
  disconnectedAt: Date;
  /** the managed endpoint and whether it was removed from Stripe */
  webhookEndpoint: EndpointRemoval | null;
}

/**
 * DELETE /admin/v1/:env/connection: removes the managed webhook endpoint from Stripe, then
 * forgets the key and the signing secret. The row stays with `disconnected_at` and the account
 * id, so that connecting a different account later clears the mirror; mirrored rows are kept
 * (the app may still read entitlements from them).
 *
 * A key Stripe no longer accepts (rolled or revoked) must not block disconnecting: the
 * endpoint is then reported as not removed. When Stripe is unreachable the call fails (502)
 * unless `force` is set, so an endpoint is not left behind by accident.
 */
export async function disconnectStripeAccount(
  ctx: ServiceContext,
  input: { environment: Environment; force?: boolean },
): Promise<DisconnectResult> {
  const { db, env } = ctx;
  const { environment } = input;
  const connection = await requireConnection(db, environment);

  let webhookEndpoint: EndpointRemoval | null = null;
  if (connection.webhookEndpointId) {
    const endpoint = { id: connection.webhookEndpointId, url: connection.webhookEndpointUrl };
    let key: string | null = null;
    try {
      key = await decryptSecretKey(env, connection);
    } catch {
      webhookEndpoint = { ...endpoint, removed: false, reason: 'the stored key could not be decrypted' };
    }
    if (key) {
      webhookEndpoint = await removeWebhookEndpoint(ctx.stripe.forKey(key), endpoint);
      if (!webhookEndpoint.removed && !input.force && webhookEndpoint.code === 'STRIPE_UNAVAILABLE') {
        throw new AppError(
          'STRIPE_UNAVAILABLE',
          `Could not remove the managed webhook endpoint ${endpoint.id}: ${webhookEndpoint.reason}. Retry, or force the disconnect and remove it in the Stripe dashboard.`,
        );
      }
    }
  }

  const disconnectedAt = new Date(ctx.clock.now() * 1000);
  const [updated] = await dbCall('disconnect', () =>
    db.batch([
      db
        .update(connections)
        .set({
          secretKeyCiphertext: null,
          disconnectedAt,
          webhookEndpointId: null,
          webhookEndpointUrl: null,
          webhookSecretCiphertext: null,
          webhookApiVersion: null,
          webhookEnabledEvents: null,
          updatedAt: sql`now()`,
        })
        .where(and(eq(connections.environment, environment), isNull(connections.disconnectedAt)))
        .returning({ environment: connections.environment }),
      auditStatement(ctx, {
        action: 'connection.disconnect',
        environment,
        target: connection.accountId,
        details: {
          accountId: connection.accountId,
          maskedKey: connection.secretKeyMasked,
          webhookEndpointId: webhookEndpoint?.id ?? null,
          webhookEndpointRemoved: webhookEndpoint?.removed ?? null,
          forced: !!input.force,
        },
      }),
    ]),
  );
  if (updated.length === 0)
    throw new AppError('NOT_CONNECTED', `The ${environment} environment is not connected to Stripe`);
  forgetSigningSecrets(env, environment);
  if (webhookEndpoint && !webhookEndpoint.removed) {
    ctx.logger.warn('managed webhook endpoint not removed on disconnect', {
      environment,
      endpointId: webhookEndpoint.id,
      reason: webhookEndpoint.reason,
    });
  }
  return { environment, accountId: connection.accountId, disconnectedAt, webhookEndpoint };
}
