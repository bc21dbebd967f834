import { sql } from 'drizzle-orm';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';

/** Round trip to Postgres through the Neon driver. Throws DB_UNAVAILABLE when it fails. */
export async function checkDatabase(ctx: ServiceContext): Promise<{ latencyMs: number }> {
  const started = Date.now();
  await dbCall('health check', () => ctx.db.execute(sql`select 1 as ok`));
  return { latencyMs: Date.now() - started };
}
