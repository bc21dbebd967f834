/**
 * The peer's server for the head-to-head webhook bench (bench/compare): `@supabase/stripe-sync-engine`
 * `processWebhook` behind a bare `node:http` server with keep-alive, run as its own process by
 * sync-engine.ts so its CPU time can be read from /proc/<pid>/stat.
 *
 * Configuration comes from the environment (PEER_*); the parent learns the port over IPC:
 * `{ ready: true, port }` or `{ error }`. Every request except `GET /_peer/failures` is a
 * webhook delivery: 200 when the engine projected it, 400 on a bad signature, 500 on any other
 * error (the runner counts both as failed events). `GET /_peer/failures` returns the failures
 * seen so far by event type, with the first message of each; `GET /_peer/stats` the statements
 * sent to Postgres so far (each its own round trip).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { StripeSync } from '@supabase/stripe-sync-engine';
import Stripe from 'stripe';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const databaseUrl = env('PEER_DATABASE_URL');
const stripeApiUrl = new URL(env('PEER_STRIPE_API_URL'));
const stripeSecretKey = env('PEER_STRIPE_SECRET_KEY');
const webhookSecret = env('PEER_WEBHOOK_SECRET');
const poolMax = Number(process.env.PEER_POOL_MAX ?? 10);

const noop = () => {};
const warn = (...args: unknown[]) => {
  process.stderr.write(`[peer] ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}\n`);
};
/** The engine logs through a pino-shaped logger; at `warn` its per-event `info` lines are no-ops. */
const logger = {
  level: 'warn',
  trace: noop,
  debug: noop,
  info: noop,
  warn,
  error: warn,
  fatal: warn,
  child() {
    return logger;
  },
};

/**
 * Migrations: the ESM build's runMigrations reads `__dirname` (undefined in ESM) and only logs
 * its errors, so use the CommonJS build and turn a logged error into a failure.
 */
async function migrate(): Promise<void> {
  const require = createRequire(import.meta.url);
  const cjs = require('@supabase/stripe-sync-engine') as typeof import('@supabase/stripe-sync-engine');
  let failure: unknown;
  const migrationLogger = {
    ...logger,
    error: (err: unknown) => {
      failure = err;
    },
  };
  // The SQL files name the schema `stripe`; the option only names the migrations table's schema.
  await cjs.runMigrations({ databaseUrl, schema: 'stripe', logger: migrationLogger as never });
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
}

/** Statements sent to Postgres (see createSync). */
let statements = 0;

function createSync(): StripeSync {
  const sync = new StripeSync({
    poolConfig: { connectionString: databaseUrl, max: poolMax, keepAlive: true },
    schema: 'stripe',
    stripeSecretKey,
    stripeWebhookSecret: webhookSecret,
    logger: logger as never,
  });
  // 0.48.5 builds `new Stripe(key, { apiVersion, appInfo })` with no host option; `stripe` is a
  // public field, so replace it with the same client aimed at the loopback stand-in.
  sync.stripe = new Stripe(stripeSecretKey, {
    appInfo: { name: 'Stripe Postgres Sync' },
    host: stripeApiUrl.hostname.replace(/^\[|\]$/g, ''),
    port: Number(stripeApiUrl.port || (stripeApiUrl.protocol === 'https:' ? 443 : 80)),
    protocol: stripeApiUrl.protocol === 'https:' ? 'https' : 'http',
  });
  // Count round trips: every statement the engine sends goes through pool.query, one
  // autocommit round trip each (it uses no transactions).
  const pool = sync.postgresClient.pool;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    statements++;
    return query(...args);
  };
  return sync;
}

interface Failure {
  count: number;
  status: number;
  firstMessage: string;
}
const failures = new Map<string, Failure>();
let warned = 0;

function eventType(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown };
    return typeof parsed.type === 'string' ? parsed.type : '(no type)';
  } catch {
    return '(not JSON)';
  }
}

function recordFailure(body: Buffer, status: number, err: unknown): void {
  const type = eventType(body);
  const message = err instanceof Error ? err.message : String(err);
  const seen = failures.get(type);
  if (seen) seen.count++;
  else failures.set(type, { count: 1, status, firstMessage: message });
  // First few only: logging every failure would put stderr writes on the measured path.
  if (warned++ < 5) warn(`${type} failed (${status}): ${message}`);
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function main(): Promise<void> {
  await migrate();
  const sync = createSync();
  const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, (req: IncomingMessage, res) => {
    if (req.method === 'GET' && req.url === '/_peer/failures') {
      send(res, 200, JSON.stringify(Object.fromEntries(failures)));
      return;
    }
    if (req.method === 'GET' && req.url === '/_peer/stats') {
      send(res, 200, JSON.stringify({ statements }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signature = req.headers['stripe-signature'];
      sync.processWebhook(body, typeof signature === 'string' ? signature : undefined).then(
        () => send(res, 200, '{"received":true}'),
        (err: unknown) => {
          const status = err instanceof Stripe.errors.StripeSignatureVerificationError ? 400 : 500;
          recordFailure(body, status, err);
          send(res, status, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
        },
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve) =>
    server.listen(Number(process.env.PEER_PORT ?? 0), '127.0.0.1', resolve),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const stop = () => {
    server.close();
    server.closeAllConnections();
    sync.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.send?.({ ready: true, port });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  warn(`start failed: ${message}`);
  if (process.send) process.send({ error: message }, () => process.exit(1));
  else process.exit(1);
});
