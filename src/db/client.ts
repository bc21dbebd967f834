import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import * as schema from '../../drizzle/schema';
import { AppError } from '../errors';

export type Db = NeonHttpDatabase<typeof schema>;
export { schema };

/**
 * A drizzle handle over Neon's HTTP driver: every query (or `db.batch`, one transaction) is one
 * HTTP request. NEON_FETCH_ENDPOINT points the driver at the local endpoint in development
 * and tests; it is a driver-global setting, so it is applied on each request.
 */
export function createDb(env: { DATABASE_URL?: string; NEON_FETCH_ENDPOINT?: string }): Db {
  if (!env.DATABASE_URL) {
    throw new AppError('NOT_CONFIGURED', 'DATABASE_URL is not set');
  }
  if (env.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
  return drizzle({ client: neon(env.DATABASE_URL), schema });
}
