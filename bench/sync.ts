/**
 * bench/sync: a full sync of a large Stripe account (emulator: 10k products, 50k subscriptions
 * by default) into a fresh Postgres database, through the Worker in `wrangler dev` on the local
 * stack, driven the way production drives it: `POST /admin/v1/test/sync` when the route exists,
 * then the `scheduled` handler (cron ticks) until the run is done. Reports wall time, ticks,
 * Stripe calls (the emulator's counters), DB round trips (the local Neon endpoint's counters)
 * and whether the rows equal the emulator's state.
 *
 *   npm run bench                                   (all benchmarks)
 *   npx tsx bench/sync.ts                           (this one)
 *   BENCH_DATABASE_URL=postgres://user@host:5432/db  server to create the bench database on
 *
 * Creates `paywire_bench_sync_<pid>` on that server, drops it at the end. Writes
 * bench/results/sync-postgres.json.
 */
import pg from 'pg';
import { type LocalStack, startLocalStack } from '../dev/stack.ts';
import type { CountersView } from '../dev/stripe/control-client.ts';
import { writeBenchResults } from './results.ts';

const PRODUCTS = Number(process.env.BENCH_SYNC_PRODUCTS ?? 10_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_SYNC_SUBSCRIPTIONS ?? 50_000);
const CUSTOMERS = Number(process.env.BENCH_SYNC_CUSTOMERS ?? 10_000);
const MAX_TICKS = Number(process.env.BENCH_SYNC_MAX_TICKS ?? 200);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The projection tables the sync fills, with the emulator object type they mirror. */
const TABLES = [
  { table: 'products', object: 'product' },
  { table: 'prices', object: 'price' },
  { table: 'customers', object: 'customer' },
  { table: 'subscriptions', object: 'subscription' },
] as const;

interface RunRow {
  id: string;
  status: string;
  counts: unknown;
  drift: unknown;
  error: string | null;
}

/** A database of our own on the bench server; `drop` removes it (connections forced out). */
async function createBenchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `paywire_bench_sync_${process.pid}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = new pg.Client({ connectionString: SERVER_URL });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

async function admin(stack: LocalStack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** One cron tick through wrangler's `--test-scheduled` route (it answers once the handler is done). */
async function tick(stack: LocalStack): Promise<void> {
  const res = await fetch(`${stack.workerUrl}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
  await res.text();
  if (!res.ok) throw new Error(`scheduled tick answered ${res.status}`);
}

async function latestRun(db: pg.Client): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    `SELECT id, status, counts, drift, error FROM paywire.sync_runs
      WHERE environment = 'test' ORDER BY started_at DESC, created_at DESC LIMIT 1`,
  );
  return rows[0];
}

/** Rows per projection table (every row, tombstoned or not: a fresh database has none). */
async function rowCounts(db: pg.Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { table } of TABLES) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM paywire.${table} WHERE environment = 'test'`,
    );
    out[table] = Number(rows[0]!.n);
  }
  return out;
}

/** Starts the run: `POST /sync` when the route exists, else the run queued by the connection. */
async function startRun(stack: LocalStack): Promise<string> {
  const started = await admin(stack, 'POST', '/admin/v1/test/sync', {});
  if (started.status === 200 || started.status === 201 || started.status === 202) {
    return `POST /admin/v1/test/sync → ${started.status}`;
  }
  return `POST /admin/v1/test/sync → ${started.status}; the connection's queued run, by cron ticks`;
}

async function seedAndConnect(stack: LocalStack) {
  const key = stack.stripeAccounts[0]!.testSecretKey;
  const control = stack.stripe.control(key);
  const seeded = await control.seed({
    products: PRODUCTS,
    prices: PRODUCTS,
    customers: CUSTOMERS,
    subscriptions: SUBSCRIPTIONS,
  });
  const connected = await admin(stack, 'PUT', '/admin/v1/test/connection', { secretKey: key });
  if (connected.status >= 300)
    throw new Error(`connect answered ${connected.status}: ${JSON.stringify(connected.json)}`);
  return { control, seeded };
}

/** Whether a pass holds the environment's lease (the POST's pass runs after its 202). */
async function leaseHeld(db: pg.Client): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `SELECT lease_until > now() AS held FROM paywire.sync_leases WHERE environment = 'test'`,
  );
  return rows[0]?.held ?? false;
}

/**
 * Cron ticks until the latest run is completed or failed (or MAX_TICKS). While a pass holds the
 * lease a tick would only skip, so the bench waits instead: `ticks` are slices that ran.
 */
async function tickUntilDone(stack: LocalStack, db: pg.Client) {
  const tickMs: number[] = [];
  let run = await latestRun(db);
  while (tickMs.length < MAX_TICKS && run?.status !== 'completed' && run?.status !== 'failed') {
    if (await leaseHeld(db)) {
      await new Promise((r) => setTimeout(r, 200));
    } else {
      const started = performance.now();
      await tick(stack);
      tickMs.push(performance.now() - started);
    }
    run = await latestRun(db);
  }
  return { tickMs, run };
}

function report(result: Record<string, unknown>) {
  console.log(
    `\nbench/sync — postgres, ${PRODUCTS} products, ${SUBSCRIPTIONS} subscriptions, ${CUSTOMERS} customers`,
  );
  console.table([result]);
  writeBenchResults('sync-postgres', { result });
}

function summarize(counters: CountersView, neon: { requests: number; queries: number }) {
  return {
    stripeCalls: counters.api_calls_total,
    listCalls: Object.entries(counters.list_calls)
      .map(([resource, n]) => `${resource}:${n}`)
      .join(' '),
    dbRoundTrips: neon.requests,
    dbStatements: neon.queries,
  };
}

export async function runSyncBench() {
  const database = await createBenchDatabase();
  let stack: LocalStack | undefined;
  const db = new pg.Client({ connectionString: database.url });
  try {
    stack = await startLocalStack({
      workerPort: 0,
      stripePort: 0,
      neonPort: 0,
      databaseUrl: database.url,
      logLevel: process.env.BENCH_VERBOSE ? 'info' : 'warn',
      ...(process.env.BENCH_VERBOSE ? { log: (line: string) => console.log(line) } : {}),
    });
    await db.connect();
    const seedStarted = performance.now();
    const { control, seeded } = await seedAndConnect(stack);
    const seedMs = performance.now() - seedStarted;
    await control.resetCounters();
    stack.neon.resetStats();

    const started = performance.now();
    const how = await startRun(stack);
    const { tickMs, run } = await tickUntilDone(stack, db);
    const wallMs = performance.now() - started;
    const rows = await rowCounts(db);
    const expected = {
      products: seeded.products,
      prices: seeded.prices,
      customers: seeded.customers,
      subscriptions: seeded.subscriptions,
    };
    report({
      how,
      run: run?.status ?? 'none',
      error: run?.error ?? '',
      wallSeconds: Number((wallMs / 1000).toFixed(1)),
      ticks: tickMs.length,
      maxTickSeconds: Number((Math.max(0, ...tickMs) / 1000).toFixed(1)),
      ...summarize(await control.counters(), stack.neon.stats()),
      rows: JSON.stringify(rows),
      rowsEqualSeeded: TABLES.every(({ table }) => rows[table] === expected[table]),
      runSeconds: Number(
        (((run?.counts as { durationMs?: number } | undefined)?.durationMs ?? 0) / 1000).toFixed(1),
      ),
      runCounts: JSON.stringify(run?.counts ?? {}),
      seedSeconds: Number((seedMs / 1000).toFixed(1)),
    });
  } finally {
    await db.end().catch(() => undefined);
    await stack?.stop();
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSyncBench();
}
