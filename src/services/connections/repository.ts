import { eq } from 'drizzle-orm';
import { connections, type Environment } from '../../../drizzle/schema';
import { decryptSecret, loadKeyring } from '../../crypto/secret-box';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';

export type ConnectionRow = typeof connections.$inferSelect;
export type ActiveConnection = ConnectionRow & { secretKeyCiphertext: string; disconnectedAt: null };

/** The environment's connection row, connected or not (a disconnected row keeps its account id). */
export async function findConnection(db: Db, environment: Environment): Promise<ConnectionRow | null> {
  const rows = await dbCall('read connection', () =>
    db.select().from(connections).where(eq(connections.environment, environment)).limit(1),
  );
  return rows[0] ?? null;
}

export function isConnected(row: ConnectionRow | null): row is ActiveConnection {
  return !!row && row.disconnectedAt === null && !!row.secretKeyCiphertext;
}

/** The connected environment's row, or 409 NOT_CONNECTED. */
export async function requireConnection(db: Db, environment: Environment): Promise<ActiveConnection> {
  const row = await findConnection(db, environment);
  if (!isConnected(row)) {
    throw new AppError(
      'NOT_CONNECTED',
      `The ${environment} environment is not connected to Stripe (PUT /admin/v1/${environment}/connection)`,
    );
  }
  return row;
}

/** Encryption slots (AES-GCM additional data) of the secrets stored on a connection. */
export const secretSlot = (environment: Environment, secret: 'secret_key' | 'webhook_secret') =>
  `connections:${environment}:${secret}`;

export async function decryptSecretKey(
  env: { PAYWIRE_ENCRYPTION_KEY?: string },
  row: ActiveConnection,
): Promise<string> {
  const keyring = await loadKeyring(env.PAYWIRE_ENCRYPTION_KEY);
  return decryptSecret(keyring, row.secretKeyCiphertext, secretSlot(row.environment, 'secret_key'));
}
