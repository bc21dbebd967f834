/**
 * The peer of the head-to-head webhook bench: `@supabase/stripe-sync-engine` 0.48.5 (a devDependency)
 * `processWebhook` behind a `node:http` server (sync-engine-server.ts) in a child process, on the
 * runner's database, with its Stripe calls aimed at the loopback emulator (dev/stripe).
 *
 * The engine keeps its own schema, `stripe` (its migrations hard-code the name), one table per
 * Stripe resource with a column per field, upserts guarded by `last_synced_at` (the event's
 * `created`; a same-second later event loses). With its defaults (no revalidation, no related
 * backfill, no list expansion) only checkout sessions call Stripe: every `checkout.session.*`
 * event lists the session's line items, then fetches line-item prices missing from its tables.
 * seedStripeForPeer puts the corpus's sessions, their line items and prices into the emulator so
 * those calls succeed; without it every checkout event fails (404 from the emulator → HTTP 500).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type Stripe from 'stripe';
import { DEFAULT_ACCOUNT_ID, defaultSecretKey, type StripeEmulator } from '../../dev/stripe/index.ts';
import type { CorpusEvent } from '../corpus.ts';
import type { BenchSystem, FinalState, StartOptions } from './system.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const SIGNING_SECRET = 'whsec_stripe_sync_engine_bench_0123456789abcdef';
/** Bookkeeping columns that differ between runs of the same history (wall clock, sync time). */
const BOOKKEEPING = ['updated_at', 'last_synced_at'];

export interface SyncEngineOptions extends StartOptions {
  /** Emulator key the engine's Stripe client uses (default: the emulator's default test account). */
  stripeSecretKey?: string;
  /** pg pool size of the engine (default 10, the engine's own default). */
  poolMax?: number;
}

export interface PeerFailure {
  count: number;
  status: number;
  firstMessage: string;
}

export interface SyncEngineSystem extends BenchSystem {
  /** Failed deliveries so far, by event type (the server's own count; HTTP status says the same). */
  failures(): Promise<Record<string, PeerFailure>>;
}

function waitForReady(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stripe-sync-engine server did not start in 60 s\n${stderr()}`));
    }, 60_000);
    child.on('message', (msg: { ready?: boolean; port?: number; error?: string }) => {
      clearTimeout(timer);
      if (msg.ready && msg.port) resolve(msg.port);
      else reject(new Error(`stripe-sync-engine server failed to start: ${msg.error ?? 'unknown'}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`stripe-sync-engine server exited (${code ?? signal}) before it was ready\n${stderr()}`),
      );
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startSyncEngine(opts: SyncEngineOptions): Promise<SyncEngineSystem> {
  const log = opts.log ?? (() => {});
  // The child runs on this process's Node (Node 22 under `npm run`), TypeScript through tsx.
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'sync-engine-server.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PEER_DATABASE_URL: opts.databaseUrl,
      PEER_STRIPE_API_URL: opts.stripeApiUrl,
      PEER_STRIPE_SECRET_KEY: opts.stripeSecretKey ?? defaultSecretKey(DEFAULT_ACCOUNT_ID, 'test'),
      PEER_WEBHOOK_SECRET: SIGNING_SECRET,
      PEER_POOL_MAX: String(opts.poolMax ?? 10),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  const forward = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderrTail = (stderrTail + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const port = await waitForReady(child, () => stderrTail);
  child.removeAllListeners('exit');
  const baseUrl = `http://127.0.0.1:${port}`;

  const db = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'bench-peer-control' });
  await db.connect();
  const { rows } = await db.query<{ tablename: string }>(
    `select tablename from pg_tables where schemaname = 'stripe' and tablename <> 'migrations' order by tablename`,
  );
  const tables = rows.map((r) => r.tablename);
  const quoted = tables.map((t) => `stripe."${t}"`).join(', ');

  return {
    name: 'stripe-sync-engine 0.48.5',
    webhookUrl: `${baseUrl}/webhooks`,
    signingSecret: SIGNING_SECRET,
    serverPids: () => (child.pid ? [child.pid] : []),
    async reset() {
      await db.query(`truncate ${quoted}`);
    },
    async finalState(): Promise<FinalState> {
      const state: FinalState = {};
      const drop = BOOKKEEPING.map((c) => ` - '${c}'`).join('');
      for (const table of tables) {
        const result = await db.query<{ row: unknown }>(
          `select to_jsonb(t)${drop} as row from stripe."${table}" t order by t.id`,
        );
        if (result.rows.length > 0) state[table] = result.rows.map((r) => r.row);
      }
      return state;
    },
    async roundTrips() {
      const res = await fetch(`${baseUrl}/_peer/stats`);
      const { statements } = (await res.json()) as { statements: number };
      return { roundTrips: statements, statements };
    },
    async failures() {
      const res = await fetch(`${baseUrl}/_peer/failures`);
      return (await res.json()) as Record<string, PeerFailure>;
    },
    async close() {
      await stopChild(child);
      await db.end();
    },
  };
}

type Obj = Record<string, unknown>;

/** A one-time, inactive price as Checkout makes for `price_data` line items. */
function adHocPrice(session: Obj): Obj {
  const amount = typeof session.amount_total === 'number' ? session.amount_total : 0;
  return {
    id: `price_adhoc_${String(session.id)}`,
    object: 'price',
    active: false,
    billing_scheme: 'per_unit',
    created: session.created,
    currency: session.currency ?? 'usd',
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: `prod_adhoc_${String(session.id)}`,
    recurring: null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'one_time',
    unit_amount: amount,
    unit_amount_decimal: String(amount),
  };
}

/**
 * Puts every checkout session of the corpus into the emulator (in-process; the control API has no
 * way to create objects with given ids), with one line item each: a subscription checkout's item
 * is the subscription's first item (its price and quantity, from the corpus's subscription
 * events), a payment checkout's an ad-hoc one-time price for the session's amount. Those prices go
 * into the emulator too, for the engine's fetch of line-item prices missing from its tables. Call
 * it again after resetting the emulator.
 */
export function seedStripeForPeer(
  emulator: StripeEmulator,
  events: readonly CorpusEvent[],
  secretKey = defaultSecretKey(DEFAULT_ACCOUNT_ID, 'test'),
): { sessions: number; prices: number } {
  const book = emulator.runtime.bookForKey(secretKey);
  if (!book) throw new Error('seedStripeForPeer: the emulator has no account for this key');
  const subscriptions = new Map<string, Obj>();
  const sessions = new Map<string, Obj>();
  for (const e of events) {
    const object = e.data.object;
    if (e.type.startsWith('customer.subscription.')) subscriptions.set(String(object.id), object);
    else if (e.type.startsWith('checkout.session.')) sessions.set(String(object.id), object);
  }
  let prices = 0;
  for (const [id, session] of sessions) {
    const subscription =
      typeof session.subscription === 'string' ? subscriptions.get(session.subscription) : undefined;
    const item = (subscription?.items as { data?: Obj[] } | undefined)?.data?.[0];
    const price = (item?.price as Obj | undefined) ?? adHocPrice(session);
    const quantity = typeof item?.quantity === 'number' ? item.quantity : 1;
    const unitAmount = typeof price.unit_amount === 'number' ? price.unit_amount : 0;
    if (!book.prices.has(String(price.id))) {
      book.prices.insert(structuredClone(price) as unknown as Stripe.Price);
      prices++;
    }
    book.checkoutSessions.insert(structuredClone(session) as unknown as Stripe.Checkout.Session);
    book.sessionLineItems.set(id, [
      {
        id: `li_${id.replace(/^cs_(test_)?/, '')}`,
        object: 'item',
        adjustable_quantity: null,
        amount_discount: 0,
        amount_subtotal: unitAmount * quantity,
        amount_tax: 0,
        amount_total: unitAmount * quantity,
        currency: String(price.currency ?? 'usd'),
        description: typeof price.nickname === 'string' ? price.nickname : 'Bench item',
        metadata: {},
        price: structuredClone(price) as unknown as Stripe.Price,
        quantity,
      } as Stripe.LineItem,
    ]);
  }
  return { sessions: sessions.size, prices };
}
