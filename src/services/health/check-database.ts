import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';

/** Round trip to Postgres through the Neon driver. Throws DB_UNAVAILABLE when it fails. */
export async function checkDatabase(db: Db): Promise<{ latencyMs: number }> {
  const started = Date.now();
  await dbCall('health check', () => db.execute(sql`select 1 as ok`));
  return { latencyMs: Date.now() - started };
}
