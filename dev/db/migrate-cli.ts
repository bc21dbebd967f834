/**
 * `npm run db:migrate`: applies pending migrations.
 *   DATABASE_URL set   → that Postgres (Neon included: use its direct or pooled connection string)
 *   DATABASE_URL unset → the embedded PGlite database of `npm run dev` (.paywire/pglite)
 * Safe to run any number of times.
 */
import { migrate } from './migrate.ts';
import { openDatabase } from './open.ts';

const url = process.env.DATABASE_URL;
const db = await openDatabase(url);
try {
  const { applied } = await migrate(db);
  console.log(
    applied.length === 0
      ? `Database is up to date (${db.description}).`
      : `Applied ${applied.length} migration(s) to ${db.description}: ${applied.join(', ')}`,
  );
} catch (err) {
  console.error(`Migration failed, nothing was applied: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
