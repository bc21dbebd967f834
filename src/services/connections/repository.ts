import { eq } from 'drizzle-orm';
import { connections, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';

export type ConnectionRow = typeof connections.$inferSelect;

export async function findConnection(db: Db, environment: Environment): Promise<ConnectionRow | null> {
  const rows = await dbCall('read connection', () =>
    db.select().from(connections).where(eq(connections.environment, environment)).limit(1),
  );
  return rows[0] ?? null;
}

/** Encryption slots (AES-GCM additional data) of the secrets stored on a connection. */
export const secretSlot = (environment: Environment, secret: 'secret_key' | 'webhook_secret') =>
  `connections:${environment}:${secret}`;
