/**
 * Paywire as the head-to-head benchmark runs it: the BUILT bundle (`wrangler deploy --dry-run`)
 * on workerd through Miniflare's API (no wrangler dev proxy, no inspector, LOG_LEVEL=warn),
 * talking to the local Neon endpoint (dev/neon, Postgres backend) in a child process of its own,
 * so the Worker's CPU (workerd) and the endpoint's (node) are measured separately.
 *
 * Runtime choice: Miniflare's API rather than a hand-written workerd config, because it is what
 * wrangler itself uses to run a Worker locally (same workerd binary, same binding wiring: vars,
 * rate-limit bindings, compatibility date and flags from one place) without the dev proxy and
 * inspector that `wrangler dev` adds. Miniflare puts one small entry worker in front of the user
 * Worker inside the same workerd process; its CPU counts as the Worker's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import pg from 'pg';
import { DEV_SECRETS } from '../../dev/stack.ts';
import { childPids } from './proc.ts';
import type { BenchSystem, FinalState, StartOptions } from './system.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = 'whsec_paywire_bench_cmp_0123456789abcdefghijkl';
const BAD_SIGNATURE_BODY = JSON.stringify({
  id: 'evt_floor',
  object: 'event',
  type: 'product.updated',
  data: { object: { id: 'prod_floor', description: 'x'.repeat(2800) } },
});
const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  FORCE_COLOR: '0',
};

/** Runs a child to completion; rejects with its output when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolveRun(out)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

/** `wrangler deploy --dry-run --outdir <dir>`: the bundle a deployment would upload. Returns index.js. */
export async function buildWorkerBundle(outdir: string): Promise<string> {
  await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir],
    { ...process.env, ...OFFLINE_ENV },
  );
  return join(outdir, 'index.js');
}

interface EndpointProcess {
  child: ChildProcess;
  url: string;
}

/**
 * `dev/neon/cli.ts` (the same endpoint as `npm run dev:db`) in a child Node process on the given
 * database; it applies the migrations at start. Resolves with its /sql URL once it is ready.
 */
function startEndpointProcess(databaseUrl: string, log: (l: string) => void): Promise<EndpointProcess> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'dev', 'neon', 'cli.ts'), '--port', '0'],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, NEON_VERBOSE: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    let ready = false;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      lines.push(line);
      if (lines.length > 100) lines.shift();
      log(`[neon] ${line}`);
      const m = /Local Neon endpoint ready: (\S+)/.exec(line);
      if (m && !ready) {
        ready = true;
        resolveStart({ child, url: m[1]! });
      }
    };
    const split = (c: Buffer) => {
      for (const l of c.toString('utf8').split('\n')) onLine(l);
    };
    child.stdout!.on('data', split);
    child.stderr!.on('data', split);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`local Neon endpoint exited (${code}):\n${lines.slice(-20).join('\n')}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The comparable fields of each projected table (times as Unix seconds, deleted as a flag). */
const FINAL_STATE_QUERIES: Record<string, string> = {
  products: `select stripe_product_id as id, name, active, deleted_at is not null as deleted, source_event_id
    from paywire.products order by 1`,
  prices: `select stripe_price_id as id, stripe_product_id as product, active, unit_amount, currency, type,
      recurring_interval, deleted_at is not null as deleted, source_event_id
    from paywire.prices order by 1`,
  customers: `select stripe_customer_id as id, email, name, deleted_at is not null as deleted, source_event_id
    from paywire.customers order by 1`,
  customer_mappings: `select stripe_customer_id as id, subject_type, subject_id, source
    from paywire.customer_mappings order by 1`,
  subscriptions: `select stripe_subscription_id as id, stripe_customer_id as customer, status,
      cancel_at_period_end, extract(epoch from current_period_start)::bigint as current_period_start,
      extract(epoch from current_period_end)::bigint as current_period_end,
      extract(epoch from canceled_at)::bigint as canceled_at, stripe_price_id as price,
      subject_type, subject_id, deleted_at is not null as deleted, source_event_id
    from paywire.subscriptions order by 1`,
  subscription_items: `select stripe_subscription_item_id as id, stripe_subscription_id as subscription,
      stripe_price_id as price, quantity, extract(epoch from current_period_end)::bigint as current_period_end,
      deleted_at is not null as deleted, source_event_id
    from paywire.subscription_items order by 1`,
  payments: `select stripe_object_id as id, kind, status, amount, amount_refunded, currency,
      stripe_customer_id as customer, stripe_payment_intent_id as payment_intent, stripe_charge_id as charge,
      deleted_at is not null as deleted, source_event_id
    from paywire.payment_history order by 1`,
  checkout_sessions: `select stripe_checkout_session_id as id, mode, status, payment_status, amount_total,
      stripe_customer_id as customer, stripe_subscription_id as subscription,
      stripe_payment_intent_id as payment_intent, subject_type, subject_id, source_event_id
    from paywire.checkout_sessions order by 1`,
  webhook_events: `select processing_status as status, count(*)::int as count
    from paywire.webhook_events group by 1 order by 1`,
};

export async function startPaywire(opts: StartOptions): Promise<BenchSystem> {
  const log = opts.log ?? (() => {});
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        log(`[paywire] close: ${(err as Error).message}`);
      }
    }
  };
  try {
    const outdir = mkdtempSync(join(tmpdir(), 'paywire-bench-bundle-'));
    cleanups.push(() => rmSync(outdir, { recursive: true, force: true }));
    const [scriptPath, endpoint] = await Promise.all([
      buildWorkerBundle(outdir),
      startEndpointProcess(opts.databaseUrl, log),
    ]);
    cleanups.push(() => stopChild(endpoint.child));
    const endpointPid = endpoint.child.pid!;

    const before = new Set(childPids(process.pid, 'workerd'));
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        host: '127.0.0.1',
        port: 0,
        cf: false,
        workers: [
          {
            name: 'paywire',
            modules: true,
            scriptPath,
            modulesRoot: outdir,
            compatibilityDate: '2026-10-30',
            compatibilityFlags: ['nodejs_compat'],
            bindings: {
              ...DEV_SECRETS,
              NEON_FETCH_ENDPOINT: endpoint.url,
              STRIPE_API_BASE: opts.stripeApiUrl,
              PAYWIRE_PUBLIC_URL: '',
              JWT_JWKS_URL: '',
              JWT_ISSUER: '',
              JWT_AUDIENCE: '',
              PAYWIRE_ALLOWED_ORIGINS: '',
              LOG_LEVEL: 'warn',
              PAYWIRE_RATE_LIMITS: 'off',
              STRIPE_WEBHOOK_SECRET_TEST: SECRET,
            },
            ratelimits: {
              RATE_LIMIT_USER: { namespace_id: '41001', simple: { limit: 20, period: 60 } },
              RATE_LIMIT_IP: { namespace_id: '41002', simple: { limit: 60, period: 60 } },
            },
          },
        ],
      }),
    );
    cleanups.push(() => mf.dispose());
    const url = await mf.ready;
    const workerPids = childPids(process.pid, 'workerd').filter((p) => !before.has(p));
    if (workerPids.length === 0) throw new Error('no workerd process found under this process');
    log(`[paywire] worker at ${url.href} (workerd pid ${workerPids.join(',')}), endpoint ${endpoint.url}`);

    const db = new pg.Pool({ connectionString: opts.databaseUrl, max: 1 });
    db.on('error', () => {});
    cleanups.push(() => db.end());
    const health = await fetch(new URL('/healthz', url));
    await health.arrayBuffer();
    if (!health.ok) throw new Error(`Paywire /healthz answered ${health.status}`);

    const neonBase = endpoint.url.replace(/\/sql$/, '');
    const tables = (
      await db.query<{ t: string }>(
        `select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = 'paywire' order by 1`,
      )
    ).rows.map((r) => r.t);

    return {
      name: 'paywire',
      webhookUrl: new URL('/webhooks/stripe/test', url).href,
      signingSecret: SECRET,
      serverPids: () => [...workerPids, endpointPid],
      floors: [
        { label: 'GET /nope (404, no database)', method: 'GET', path: '/nope' },
        { label: 'GET /healthz (one Neon round trip)', method: 'GET', path: '/healthz' },
        {
          label: 'POST webhook, 2.9 KB, bad signature (400)',
          method: 'POST',
          path: '/webhooks/stripe/test',
          body: BAD_SIGNATURE_BODY,
          headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        },
      ],
      serverPidGroups: () => ({ worker: workerPids, endpoint: [endpointPid] }),
      async roundTrips() {
        const res = await fetch(`${neonBase}/_neon/stats`);
        const s = (await res.json()) as { requests: number; queries: number };
        return { roundTrips: s.requests, statements: s.queries };
      },
      async reset() {
        await db.query(`truncate ${tables.join(', ')}`);
      },
      async finalState(): Promise<FinalState> {
        const state: FinalState = {};
        for (const [resource, sql] of Object.entries(FINAL_STATE_QUERIES)) {
          state[resource] = (await db.query(sql)).rows;
        }
        return state;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
