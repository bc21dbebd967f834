import { and, eq } from 'drizzle-orm';
import { connections, type Environment, hookEndpoints } from '../../../drizzle/schema';
import { ciphertextVersion, decryptSecret, encryptSecret, loadKeyring } from '../../crypto/secret-box';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { hookSecretSlot } from '../hooks/endpoint-secret';
import type { Statement } from '../projection/types';
import { secretSlot } from './repository';

type SecretName = 'secret_key' | 'webhook_secret' | 'hook_secret';
const COLUMNS = {
  secret_key: connections.secretKeyCiphertext,
  webhook_secret: connections.webhookSecretCiphertext,
} as const;
const FIELDS = { secret_key: 'secretKeyCiphertext', webhook_secret: 'webhookSecretCiphertext' } as const;

export interface RotationReport {
  activeVersion: number;
  /** how many stored secrets were under each key version before the rotation */
  versionsBefore: Record<string, number>;
  total: number;
  reencrypted: number;
  alreadyCurrent: number;
  failed: Array<{
    environment: Environment;
    secret: SecretName;
    /** hook_secret only: the app endpoint whose signing secret it is */
    endpointId?: string;
    keyVersion: number | null;
    reason: string;
  }>;
}

/** One stored ciphertext, where it lives, and the conditional update that replaces it. */
interface StoredSecret {
  environment: Environment;
  secret: SecretName;
  endpointId?: string;
  ciphertext: string;
  slot: string;
  replace: (next: string) => Statement;
}

/**
 * POST /admin/v1/encryption/rotate: re-encrypts every stored secret under the active (first)
 * key of PAYWIRE_ENCRYPTION_KEY. Rotation procedure: prepend a new key ("v2:<new>,v1:<old>"),
 * deploy, call this, check `failed` is empty, then drop the old key.
 *
 * Each update only applies if the ciphertext is still the one that was read, so a connection
 * changed concurrently is left as the newer write made it (it is already under the active key).
 * A secret that cannot be decrypted (its key is no longer listed, or it was tampered with) is
 * reported, never overwritten.
 */
export async function rotateEncryption(ctx: ServiceContext): Promise<RotationReport> {
  const keyring = await loadKeyring(ctx.env.PAYWIRE_ENCRYPTION_KEY);
  const stored = await readStoredSecrets(ctx);
  const report: RotationReport = {
    activeVersion: keyring.active,
    versionsBefore: {},
    total: 0,
    reencrypted: 0,
    alreadyCurrent: 0,
    failed: [],
  };
  const updates: Statement[] = [];
  for (const item of stored) {
    report.total++;
    const version = ciphertextVersion(item.ciphertext) ?? null;
    const label = version === null ? 'unknown' : `v${version}`;
    report.versionsBefore[label] = (report.versionsBefore[label] ?? 0) + 1;
    if (version === keyring.active) {
      report.alreadyCurrent++;
      continue;
    }
    let plaintext: string;
    try {
      plaintext = await decryptSecret(keyring, item.ciphertext, item.slot);
    } catch (err) {
      report.failed.push({
        environment: item.environment,
        secret: item.secret,
        ...(item.endpointId ? { endpointId: item.endpointId } : {}),
        keyVersion: version,
        reason: (err as Error).message,
      });
      continue;
    }
    updates.push(item.replace(await encryptSecret(keyring, plaintext, item.slot)));
    report.reencrypted++;
  }
  updates.push(
    auditStatement(ctx, {
      action: 'encryption.rotate',
      details: {
        activeVersion: report.activeVersion,
        versionsBefore: report.versionsBefore,
        reencrypted: report.reencrypted,
        failed: report.failed.length,
      },
    }),
  );
  await dbCall('store re-encrypted secrets', () => ctx.db.batch(updates as [Statement, ...Statement[]]));
  return report;
}

/**
 * Every ciphertext under PAYWIRE_ENCRYPTION_KEY: the connections' Stripe keys and webhook
 * signing secrets, and the app hook endpoints' signing secrets. Each update only applies if the
 * ciphertext is still the one that was read.
 */
async function readStoredSecrets(ctx: ServiceContext): Promise<StoredSecret[]> {
  const { db } = ctx;
  const [connectionRows, endpointRows] = await dbCall('read stored secrets', () =>
    db.batch([
      db
        .select({
          environment: connections.environment,
          secretKeyCiphertext: connections.secretKeyCiphertext,
          webhookSecretCiphertext: connections.webhookSecretCiphertext,
        })
        .from(connections),
      db
        .select({
          environment: hookEndpoints.environment,
          id: hookEndpoints.id,
          secretCiphertext: hookEndpoints.secretCiphertext,
        })
        .from(hookEndpoints),
    ]),
  );
  const stored: StoredSecret[] = [];
  for (const row of connectionRows) {
    for (const secret of ['secret_key', 'webhook_secret'] as const) {
      const ciphertext = row[FIELDS[secret]];
      if (!ciphertext) continue;
      stored.push({
        environment: row.environment,
        secret,
        ciphertext,
        slot: secretSlot(row.environment, secret),
        replace: (next) =>
          db
            .update(connections)
            .set({ [FIELDS[secret]]: next })
            .where(and(eq(connections.environment, row.environment), eq(COLUMNS[secret], ciphertext))),
      });
    }
  }
  for (const row of endpointRows)
    stored.push({
      environment: row.environment,
      secret: 'hook_secret',
      endpointId: row.id,
      ciphertext: row.secretCiphertext,
      slot: hookSecretSlot(row.environment, row.id),
      replace: (next) =>
        db
          .update(hookEndpoints)
          .set({ secretCiphertext: next })
          .where(and(eq(hookEndpoints.id, row.id), eq(hookEndpoints.secretCiphertext, row.secretCiphertext))),
    });
  return stored;
}
