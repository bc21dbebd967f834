/**
 * `npm run dev:db`: the local Neon HTTP endpoint for development.
 *
 *   DATABASE_URL unset → embedded PGlite, data in .paywire/pglite (or --data-dir / PAYWIRE_PGLITE_DIR)
 *   DATABASE_URL set   → that Postgres database
 *
 * Migrations are applied at start. Point the Worker at it with NEON_FETCH_ENDPOINT=<printed url>.
 * Options: --port (NEON_PORT, default 4444; 0 = random), --host (NEON_HOST, default 127.0.0.1),
 * --data-dir, --verbose (NEON_VERBOSE=1: log every request). Ctrl-C stops.
 *
 * Only one process may open a PGlite data directory: stop this before `npm run db:migrate`
 * (which would otherwise open the same directory).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate.ts';
import { type SqlExecutor, startNeonEndpoint } from './index.ts';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const port = Number(args.port ?? process.env.NEON_PORT ?? 4444);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${args.port ?? process.env.NEON_PORT}`);
  process.exit(2);
}
const host = args.host ?? process.env.NEON_HOST ?? '127.0.0.1';
const verbose = args.verbose || process.env.NEON_VERBOSE === '1';
const databaseUrl = process.env.DATABASE_URL;
const dataDir = resolve(args['data-dir'] ?? process.env.PAYWIRE_PGLITE_DIR ?? '.paywire/pglite');

const where = databaseUrl ? `postgres ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}` : dataDir;
console.log(`Starting the local Neon endpoint on ${where} …`);

let endpoint: Awaited<ReturnType<typeof startNeonEndpoint>>;
try {
  endpoint = await startNeonEndpoint({
    port,
    host,
    backend: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir },
    isolate: false,
    initDatabase: async (db: SqlExecutor) => {
      const { applied } = await migrate(db);
      console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Migrations: up to date');
    },
    // successful requests only with --verbose; errors and lifecycle lines always
    logQueries: verbose,
    log: (line) => console.log(`[neon] ${line}`),
  });
} catch (err) {
  console.error(`Could not start the local Neon endpoint: ${(err as Error).message}`);
  process.exit(1);
}

console.log(`Local Neon endpoint ready: ${endpoint.url}`);
console.log(
  `  Worker: NEON_FETCH_ENDPOINT=${endpoint.url}  (any postgresql://user:pass@host/db connection string)`,
);
console.log('  Ctrl-C to stop.');

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping …`);
  try {
    await endpoint.close();
    process.exit(0);
  } catch (err) {
    console.error(`Error while stopping: ${(err as Error).message}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
