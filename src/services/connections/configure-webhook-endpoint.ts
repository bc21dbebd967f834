import { and, eq, isNull, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { connections, type Environment } from '../../../drizzle/schema';
import { encryptSecret, loadKeyring } from '../../crypto/secret-box';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { STRIPE_API_VERSION } from '../../stripe/client';
import { stripeCall } from '../../stripe/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { PROJECTED_EVENT_TYPES } from '../projection';
import { forgetSigningSecrets } from '../webhooks/signing-secrets';
import { type ActiveConnection, secretSlot } from './repository';
import { requirePermission } from './stripe-key';
import {
  type EndpointRemoval,
  isPaywireManaged,
  listWebhookEndpoints,
  managedMetadata,
  removeWebhookEndpoint,
  resolveWebhookUrl,
} from './webhook-endpoints';

export interface EndpointSummary {
  id: string;
  url: string;
  status: string;
  apiVersion: string | null;
  enabledEvents: string[];
  description: string | null;
}

export interface ConfigureEndpointResult {
  environment: Environment;
  endpoint: EndpointSummary;
  /** endpoints this call replaced (the previous managed one, and stale Paywire ones for the same URL) */
  replaced: EndpointRemoval[];
  /** other endpoints on the account: Paywire does not touch them */
  unmanaged: Array<EndpointSummary & { paywireManaged: boolean }>;
}

/**
 * POST /admin/v1/:env/webhook-endpoint: creates the managed endpoint (this Worker's
 * /webhooks/stripe/:env URL, exactly PROJECTED_EVENT_TYPES, pinned STRIPE_API_VERSION), stores
 * its id and signing secret (encrypted) on the connection, then removes what it replaces.
 *
 * Order matters: the new endpoint is stored before the old one is deleted, so there is no
 * moment without an endpoint. If storing fails, the new endpoint is deleted again. Events that
 * were still being retried to the old endpoint are repaired by missed-event recovery (sync).
 * Endpoints with Paywire's metadata but another URL belong to another deployment (e.g. a
 * staging Worker on the same account) and are listed as unmanaged, never deleted.
 */
export async function configureWebhookEndpoint(
  ctx: ServiceContext,
  input: { environment: Environment; url?: string; requestOrigin: string },
): Promise<ConfigureEndpointResult> {
  const { environment } = input;
  const url = resolveWebhookUrl({
    environment,
    override: input.url,
    publicUrl: ctx.env.PAYWIRE_PUBLIC_URL,
    requestOrigin: input.requestOrigin,
  });
  const { stripe, connection } = await ctx.stripe.forEnvironment(environment);

  const existing = await requirePermission('Webhook Endpoints: read', () => listWebhookEndpoints(stripe));
  const created = await createManagedEndpoint(stripe, environment, url);
  try {
    await storeEndpoint(ctx, connection, created);
  } catch (err) {
    const undo = await removeWebhookEndpoint(stripe, { id: created.id, url: created.url });
    if (!undo.removed) {
      ctx.logger.error('new webhook endpoint left behind after a failed store', {
        endpointId: created.id,
        reason: undo.reason,
      });
    }
    throw err;
  }
  forgetSigningSecrets(ctx.env, environment);

  const toReplace = endpointsToReplace(connection, existing, created.id, url);
  const replaced: EndpointRemoval[] = [];
  for (const [id, endpointUrl] of toReplace)
    replaced.push(await removeWebhookEndpoint(stripe, { id, url: endpointUrl }));
  for (const r of replaced) {
    if (!r.removed)
      ctx.logger.warn('replaced webhook endpoint not removed', { endpointId: r.id, reason: r.reason });
  }

  return {
    environment,
    endpoint: summary(created),
    replaced,
    unmanaged: existing
      .filter((e) => e.id !== created.id && !toReplace.has(e.id))
      .map((e) => ({ ...summary(e), paywireManaged: isPaywireManaged(e) })),
  };
}

function createManagedEndpoint(stripe: Stripe, environment: Environment, url: string) {
  return stripeCall(
    'create webhook endpoint',
    () =>
      requirePermission('Webhook Endpoints: write', () =>
        stripe.webhookEndpoints.create({
          url,
          enabled_events: [...PROJECTED_EVENT_TYPES] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
          api_version: STRIPE_API_VERSION,
          description: `Paywire (${environment}) - managed, do not edit`,
          metadata: managedMetadata(environment),
        }),
      ),
    { invalidRequest: 'BAD_REQUEST' },
  );
}

/**
 * Stores the new endpoint's id and encrypted signing secret with its audit entry, only while
 * the environment is still connected to the account the endpoint was created on.
 */
async function storeEndpoint(
  ctx: ServiceContext,
  connection: ActiveConnection,
  created: Stripe.WebhookEndpoint,
): Promise<void> {
  const { db } = ctx;
  const { environment } = connection;
  if (!created.secret)
    throw new AppError('STRIPE_ERROR', "Stripe did not return the new endpoint's signing secret");
  const keyring = await loadKeyring(ctx.env.PAYWIRE_ENCRYPTION_KEY);
  const secretCiphertext = await encryptSecret(
    keyring,
    created.secret,
    secretSlot(environment, 'webhook_secret'),
  );
  const apiVersion = created.api_version ?? STRIPE_API_VERSION;
  const [updated] = await dbCall('store webhook endpoint', () =>
    db.batch([
      db
        .update(connections)
        .set({
          webhookEndpointId: created.id,
          webhookEndpointUrl: created.url,
          webhookSecretCiphertext: secretCiphertext,
          webhookApiVersion: apiVersion,
          webhookEnabledEvents: created.enabled_events,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(connections.environment, environment),
            eq(connections.accountId, connection.accountId),
            isNull(connections.disconnectedAt),
          ),
        )
        .returning({ environment: connections.environment }),
      auditStatement(ctx, {
        action: 'webhook_endpoint.configure',
        environment,
        target: created.id,
        details: {
          endpointId: created.id,
          url: created.url,
          apiVersion,
          enabledEvents: created.enabled_events.length,
          replacedEndpointId: connection.webhookEndpointId,
        },
      }),
    ]),
  );
  if (updated.length === 0) {
    throw new AppError(
      'CONFLICT',
      `The ${environment} connection changed while the endpoint was being created; try again`,
    );
  }
}

/** The previous managed endpoint, and stale Paywire endpoints for the same URL. */
function endpointsToReplace(
  connection: ActiveConnection,
  existing: Stripe.WebhookEndpoint[],
  createdId: string,
  url: string,
): Map<string, string | null> {
  const toReplace = new Map<string, string | null>();
  if (connection.webhookEndpointId && connection.webhookEndpointId !== createdId) {
    toReplace.set(connection.webhookEndpointId, connection.webhookEndpointUrl);
  }
  for (const e of existing) {
    if (e.id !== createdId && isPaywireManaged(e) && e.url === url) toReplace.set(e.id, e.url);
  }
  return toReplace;
}

function summary(e: Stripe.WebhookEndpoint): EndpointSummary {
  return {
    id: e.id,
    url: e.url,
    status: e.status,
    apiVersion: e.api_version ?? null,
    enabledEvents: [...e.enabled_events],
    description: e.description ?? null,
  };
}
