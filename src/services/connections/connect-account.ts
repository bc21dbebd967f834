import { and, eq, inArray, sql } from 'drizzle-orm';
import { connections, type Environment, syncRuns, syncSeen } from '../../../drizzle/schema';
import { encryptSecret, loadKeyring } from '../../crypto/secret-box';
import { dbCall } from '../../db/errors';
import { maskSecret } from '../../redact';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import type { Statement } from '../projection/types';
import { forgetSigningSecrets } from '../webhooks/signing-secrets';
import { MIRRORED_TABLES } from './mirrored-tables';
import {
  type ActiveConnection,
  type ConnectionRow,
  decryptSecretKey,
  findConnection,
  isConnected,
  secretSlot,
} from './repository';
import { type KeyKind, parseStripeKey, verifyStripeKey } from './stripe-key';
import { type EndpointRemoval, removeWebhookEndpoint } from './webhook-endpoints';

export interface ConnectResult {
  environment: Environment;
  accountId: string;
  accountName: string | null;
  maskedKey: string;
  keyKind: KeyKind;
  connectedAt: Date;
  previousAccountId: string | null;
  /** the key belongs to a different account than the environment's previous connection */
  accountChanged: boolean;
  /** a full sync was queued (first connection, reconnection or account change) */
  syncRequested: boolean;
  /** the managed endpoint still in place (same account), or null */
  webhookEndpoint: { id: string; url: string | null } | null;
  /** on an account change: the previous account's managed endpoint and whether it was removed */
  previousWebhookEndpoint: EndpointRemoval | null;
}

/**
 * PUT /admin/v1/:env/connection. Validates the key (prefix, then Stripe), stores it encrypted
 * with the account id/name and the masked key, all in one transaction with the audit entry.
 *
 * When the environment was connected to a different account before, the same transaction
 * clears the environment's mirrored rows (MIRRORED_TABLES), cancels its unfinished sync runs,
 * drops the old webhook endpoint columns and queues a full sync (`sync_runs` row with status
 * `requested`, picked up by the sync engine). The previous account's managed endpoint is then
 * removed with the previous key, best effort. A first connection or a reconnection after
 * DELETE also queues a sync (the mirror may be empty or stale); a new key for the same
 * connected account does not.
 */
export async function connectStripeAccount(
  ctx: ServiceContext,
  input: { environment: Environment; secretKey: string },
): Promise<ConnectResult> {
  const { environment, secretKey } = input;
  const { kind } = parseStripeKey(secretKey, environment);
  // A missing encryption key fails before Stripe is called.
  const keyring = await loadKeyring(ctx.env.PAYWIRE_ENCRYPTION_KEY);
  const account = await verifyStripeKey(ctx.stripe.forKey(secretKey), kind);
  const ciphertext = await encryptSecret(keyring, secretKey, secretSlot(environment, 'secret_key'));

  const plan = planConnection(ctx, await findConnection(ctx.db, environment), account.accountId);
  // The old account's endpoint is removed with the old key, which the upsert below overwrites.
  const oldEndpoint = plan.endpointToRemove
    ? { ...plan.endpointToRemove, key: await safeDecrypt(ctx, plan.endpointToRemove.connection) }
    : null;
  const stored = {
    environment,
    accountId: account.accountId,
    accountName: account.accountName,
    secretKeyCiphertext: ciphertext,
    secretKeyMasked: maskSecret(secretKey),
    keyKind: kind,
    connectedAt: plan.connectedAt,
    disconnectedAt: null,
  };
  await dbCall('store connection', () => ctx.db.batch(connectionStatements(ctx, plan, stored)));
  forgetSigningSecrets(ctx.env, environment);

  const previousWebhookEndpoint = oldEndpoint
    ? await removePreviousEndpoint(ctx, environment, oldEndpoint)
    : null;
  const { previous } = plan;
  return {
    environment,
    accountId: account.accountId,
    accountName: account.accountName,
    maskedKey: stored.secretKeyMasked,
    keyKind: kind,
    connectedAt: plan.connectedAt,
    previousAccountId: previous?.accountId ?? null,
    accountChanged: plan.accountChanged,
    syncRequested: plan.syncRequested,
    webhookEndpoint:
      !plan.accountChanged && plan.wasConnected && previous?.webhookEndpointId
        ? { id: previous.webhookEndpointId, url: previous.webhookEndpointUrl }
        : null,
    previousWebhookEndpoint,
  };
}

interface ConnectionPlan {
  previous: ConnectionRow | null;
  wasConnected: boolean;
  accountChanged: boolean;
  syncRequested: boolean;
  connectedAt: Date;
  now: Date;
  /** the previous account's managed endpoint, to remove after the switch */
  endpointToRemove: { id: string; url: string | null; connection: ActiveConnection } | null;
}

/** What connecting `accountId` changes, given the environment's previous connection row. */
function planConnection(
  ctx: ServiceContext,
  previous: ConnectionRow | null,
  accountId: string,
): ConnectionPlan {
  const wasConnected = isConnected(previous);
  const accountChanged = !!previous && previous.accountId !== accountId;
  const now = new Date(ctx.clock.now() * 1000);
  return {
    previous,
    wasConnected,
    accountChanged,
    syncRequested: !wasConnected || accountChanged,
    connectedAt: wasConnected && !accountChanged ? previous.connectedAt : now,
    now,
    endpointToRemove:
      accountChanged && wasConnected && previous.webhookEndpointId
        ? { id: previous.webhookEndpointId, url: previous.webhookEndpointUrl, connection: previous }
        : null,
  };
}

/** One transaction: (on an account change) clear the mirror, upsert the connection, queue a sync, audit. */
function connectionStatements(
  ctx: ServiceContext,
  plan: ConnectionPlan,
  stored: typeof connections.$inferInsert & { environment: Environment; accountId: string },
): [Statement, ...Statement[]] {
  const { db } = ctx;
  const { environment } = stored;
  const clearWebhook = plan.accountChanged
    ? {
        webhookEndpointId: null,
        webhookEndpointUrl: null,
        webhookSecretCiphertext: null,
        webhookApiVersion: null,
        webhookEnabledEvents: null,
      }
    : {};
  const statements: Statement[] = [];
  if (plan.accountChanged) {
    for (const table of MIRRORED_TABLES)
      statements.push(db.delete(table).where(eq(table.environment, environment)));
    statements.push(
      db
        .update(syncRuns)
        .set({ status: 'canceled', error: 'account changed', finishedAt: plan.now })
        .where(
          // `failed` too: a failed run is retried from its cursor, which belongs to the old account.
          and(
            eq(syncRuns.environment, environment),
            inArray(syncRuns.status, ['requested', 'running', 'failed']),
          ),
        ),
    );
    // Ids the canceled runs had listed (their sweep will never run): the old account's.
    statements.push(db.delete(syncSeen).where(eq(syncSeen.environment, environment)));
  }
  const upsert = db
    .insert(connections)
    .values({ ...stored, ...clearWebhook })
    .onConflictDoUpdate({
      target: connections.environment,
      set: { ...stored, ...clearWebhook, updatedAt: sql`now()` },
    });
  const audit = auditStatement(ctx, {
    action: 'connection.connect',
    environment,
    target: stored.accountId,
    details: {
      accountId: stored.accountId,
      accountName: stored.accountName,
      maskedKey: stored.secretKeyMasked,
      keyKind: stored.keyKind,
      previousAccountId: plan.previous?.accountId ?? null,
      accountChanged: plan.accountChanged,
      syncRequested: plan.syncRequested,
    },
  });
  const queueSync = plan.syncRequested
    ? [db.insert(syncRuns).values({ environment, kind: 'full', status: 'requested' })]
    : [];
  return [...statements, upsert, ...queueSync, audit] as unknown as [Statement, ...Statement[]];
}

/** Best effort: the previous account's managed endpoint, removed with the previous key. */
async function removePreviousEndpoint(
  ctx: ServiceContext,
  environment: Environment,
  endpoint: { id: string; url: string | null; key: string | null },
): Promise<EndpointRemoval> {
  const removal: EndpointRemoval = endpoint.key
    ? await removeWebhookEndpoint(ctx.stripe.forKey(endpoint.key), { id: endpoint.id, url: endpoint.url })
    : {
        id: endpoint.id,
        url: endpoint.url,
        removed: false,
        reason: 'the previous key could not be decrypted',
      };
  if (!removal.removed) {
    ctx.logger.warn('previous managed webhook endpoint not removed', {
      environment,
      endpointId: endpoint.id,
      reason: removal.reason,
    });
  }
  return removal;
}

async function safeDecrypt(
  ctx: ServiceContext,
  row: Parameters<typeof decryptSecretKey>[1],
): Promise<string | null> {
  try {
    return await decryptSecretKey(ctx.env, row);
  } catch (err) {
    ctx.logger.warn('stored secret key could not be decrypted', {
      environment: row.environment,
      error: (err as Error).message,
    });
    return null;
  }
}
