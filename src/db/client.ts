import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import * as schema from '../../drizzle/schema';

export type Db = NeonHttpDatabase<typeof schema>;
export { schema };

const instances = new Map<string, Db>();

/**
 * A drizzle handle over Neon's HTTP driver: every query (or `db.batch`, one transaction) is one
 * HTTP request, and the handle holds no connection, so one per database URL is kept for the
 * isolate (building drizzle's schema tables per request costs CPU on every event).
 * NEON_FETCH_ENDPOINT points the driver at the local endpoint in development and tests; it is
 * a driver-global setting, so it is applied on each call.
 */
export function createDb(env: { DATABASE_URL: string; NEON_FETCH_ENDPOINT?: string }): Db {
  if (env.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
  let db = instances.get(env.DATABASE_URL);
  if (!db) {
    db = drizzle({ client: neon(env.DATABASE_URL), schema });
    // One URL in production; tests use many databases, so keep the map small.
    if (instances.size >= 16) instances.delete(instances.keys().next().value!);
    instances.set(env.DATABASE_URL, db);
  }
  return db;
}
