import { and, eq, inArray, sql } from 'drizzle-orm';
import { connections, type Environment, syncRuns } from '../../../drizzle/schema';
import { encryptSecret, loadKeyring } from '../../crypto/secret-box';
import { dbCall } from '../../db/errors';
import { maskSecret } from '../../redact';
import { auditStatement } from '../audit/record-audit';
import type { Statement } from '../projection/types';
import { forgetSigningSecrets } from '../webhooks/signing-secrets';
import { MIRRORED_TABLES } from './mirrored-tables';
import { decryptSecretKey, findConnection, isConnected, secretSlot } from './repository';
import { type KeyKind, parseStripeKey, verifyStripeKey } from './stripe-key';
import { type ConnectionDeps, stripeFor } from './types';
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
  deps: ConnectionDeps,
  input: { environment: Environment; secretKey: string },
): Promise<ConnectResult> {
  const { db, env } = deps;
  const { environment, secretKey } = input;
  const { kind } = parseStripeKey(secretKey, environment);
  // A missing encryption key fails before Stripe is called.
  const keyring = await loadKeyring(env.PAYWIRE_ENCRYPTION_KEY);
  const account = await verifyStripeKey(stripeFor(deps, secretKey), kind);

  const ciphertext = await encryptSecret(keyring, secretKey, secretSlot(environment, 'secret_key'));
  const maskedKey = maskSecret(secretKey);

  const previous = await findConnection(db, environment);
  const wasConnected = isConnected(previous);
  const accountChanged = !!previous && previous.accountId !== account.accountId;
  const syncRequested = !wasConnected || accountChanged;
  // The old account's endpoint is removed with the old key, which the upsert below overwrites.
  const oldEndpoint =
    accountChanged && wasConnected && previous.webhookEndpointId
      ? {
          id: previous.webhookEndpointId,
          url: previous.webhookEndpointUrl,
          key: await safeDecrypt(deps, previous),
        }
      : null;

  const now = new Date(deps.clock.now() * 1000);
  const connectedAt = wasConnected && !accountChanged ? previous.connectedAt : now;
  const clearWebhook = accountChanged
    ? {
        webhookEndpointId: null,
        webhookEndpointUrl: null,
        webhookSecretCiphertext: null,
        webhookApiVersion: null,
        webhookEnabledEvents: null,
      }
    : {};
  const values = {
    environment,
    accountId: account.accountId,
    accountName: account.accountName,
    secretKeyCiphertext: ciphertext,
    secretKeyMasked: maskedKey,
    keyKind: kind,
    connectedAt,
    disconnectedAt: null,
  };

  const statements: Statement[] = [];
  if (accountChanged) {
    for (const table of MIRRORED_TABLES)
      statements.push(db.delete(table).where(eq(table.environment, environment)));
    statements.push(
      db
        .update(syncRuns)
        .set({ status: 'canceled', error: 'account changed', finishedAt: now })
        .where(
          and(eq(syncRuns.environment, environment), inArray(syncRuns.status, ['requested', 'running'])),
        ),
    );
  }
  statements.push(
    db
      .insert(connections)
      .values({ ...values, ...clearWebhook })
      .onConflictDoUpdate({
        target: connections.environment,
        set: { ...values, ...clearWebhook, updatedAt: sql`now()` },
      }),
  );
  if (syncRequested) {
    statements.push(db.insert(syncRuns).values({ environment, kind: 'full', status: 'requested' }));
  }
  statements.push(
    auditStatement(db, {
      actor: deps.actor,
      action: 'connection.connect',
      environment,
      target: account.accountId,
      requestId: deps.requestId,
      details: {
        accountId: account.accountId,
        accountName: account.accountName,
        maskedKey,
        keyKind: kind,
        previousAccountId: previous?.accountId ?? null,
        accountChanged,
        syncRequested,
      },
    }),
  );
  await dbCall('store connection', () => db.batch(statements as [Statement, ...Statement[]]));
  forgetSigningSecrets(env, environment);

  let previousWebhookEndpoint: EndpointRemoval | null = null;
  if (oldEndpoint) {
    previousWebhookEndpoint = oldEndpoint.key
      ? await removeWebhookEndpoint(stripeFor(deps, oldEndpoint.key), {
          id: oldEndpoint.id,
          url: oldEndpoint.url,
        })
      : {
          id: oldEndpoint.id,
          url: oldEndpoint.url,
          removed: false,
          reason: 'the previous key could not be decrypted',
        };
    if (!previousWebhookEndpoint.removed) {
      deps.logger.warn('previous managed webhook endpoint not removed', {
        environment,
        endpointId: oldEndpoint.id,
        reason: previousWebhookEndpoint.reason,
      });
    }
  }

  return {
    environment,
    accountId: account.accountId,
    accountName: account.accountName,
    maskedKey,
    keyKind: kind,
    connectedAt,
    previousAccountId: previous?.accountId ?? null,
    accountChanged,
    syncRequested,
    webhookEndpoint:
      !accountChanged && wasConnected && previous.webhookEndpointId
        ? { id: previous.webhookEndpointId, url: previous.webhookEndpointUrl }
        : null,
    previousWebhookEndpoint,
  };
}

async function safeDecrypt(
  deps: ConnectionDeps,
  row: Parameters<typeof decryptSecretKey>[1],
): Promise<string | null> {
  try {
    return await decryptSecretKey(deps.env, row);
  } catch (err) {
    deps.logger.warn('stored secret key could not be decrypted', {
      environment: row.environment,
      error: (err as Error).message,
    });
    return null;
  }
}
