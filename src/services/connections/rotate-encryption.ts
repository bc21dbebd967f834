import { and, eq } from 'drizzle-orm';
import { connections, type Environment } from '../../../drizzle/schema';
import { ciphertextVersion, decryptSecret, encryptSecret, loadKeyring } from '../../crypto/secret-box';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import type { Statement } from '../projection/types';
import { secretSlot } from './repository';

type SecretName = 'secret_key' | 'webhook_secret';
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
  failed: Array<{ environment: Environment; secret: SecretName; keyVersion: number | null; reason: string }>;
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
  const { db, env } = ctx;
  const keyring = await loadKeyring(env.PAYWIRE_ENCRYPTION_KEY);
  const rows = await dbCall('read connections', () =>
    db
      .select({
        environment: connections.environment,
        secretKeyCiphertext: connections.secretKeyCiphertext,
        webhookSecretCiphertext: connections.webhookSecretCiphertext,
      })
      .from(connections),
  );

  const report: RotationReport = {
    activeVersion: keyring.active,
    versionsBefore: {},
    total: 0,
    reencrypted: 0,
    alreadyCurrent: 0,
    failed: [],
  };
  const updates: Statement[] = [];
  for (const row of rows) {
    for (const secret of ['secret_key', 'webhook_secret'] as const) {
      const ciphertext = row[FIELDS[secret]];
      if (!ciphertext) continue;
      report.total++;
      const version = ciphertextVersion(ciphertext) ?? null;
      const label = version === null ? 'unknown' : `v${version}`;
      report.versionsBefore[label] = (report.versionsBefore[label] ?? 0) + 1;
      if (version === keyring.active) {
        report.alreadyCurrent++;
        continue;
      }
      const slot = secretSlot(row.environment, secret);
      let plaintext: string;
      try {
        plaintext = await decryptSecret(keyring, ciphertext, slot);
      } catch (err) {
        report.failed.push({
          environment: row.environment,
          secret,
          keyVersion: version,
          reason: (err as Error).message,
        });
        continue;
      }
      const next = await encryptSecret(keyring, plaintext, slot);
      updates.push(
        db
          .update(connections)
          .set({ [FIELDS[secret]]: next })
          .where(and(eq(connections.environment, row.environment), eq(COLUMNS[secret], ciphertext))),
      );
      report.reencrypted++;
    }
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
  await dbCall('store re-encrypted secrets', () => db.batch(updates as [Statement, ...Statement[]]));
  return report;
}
