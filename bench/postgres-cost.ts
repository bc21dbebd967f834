/**
 * bench/postgres-cost: what Postgres itself spends per webhook transaction, and A/B of schema
 * variants (issue #16 target: Postgres CPU per event ≤ the peer's).
 *
 * The Worker's recorded webhook transactions (bench/neon-endpoint's corpus, recorded after
 * migration 0017) are replayed through the local Neon endpoint (dev/neon/cli.ts, a child process,
 * one Postgres round trip per transaction) into one database per variant: the migrated schema,
 * then the variant's SQL file (none for `base`). Each repetition empties the projected tables and
 * the event log and runs CHECKPOINT, then sends the corpus with fresh Stripe ids at the given
 * concurrency; the variants alternate. Per request: Postgres CPU (the database's backends, from
 * /proc), DB active time (pg_stat_database.active_time), transactions, and WAL of that database
 * (pg_walinspect) with its full-page-image share and a per-relation breakdown.
 *
 *   npx tsx bench/postgres-cost.ts
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test   server (databases paywire_pgcost_<variant>_<pid>, dropped at the end)
 *   BENCH_PGCOST_VARIANTS=base,lz4                 variants; <name>.sql in BENCH_PGCOST_DIR (base: none)
 *   BENCH_PGCOST_DIR=bench/variants                directory of the variants' SQL
 *   BENCH_PGCOST_CORPUS=bench/results/neon-endpoint-corpus.json
 *   BENCH_PGCOST_REQUESTS=2000  BENCH_PGCOST_REPS=3  BENCH_PGCOST_CONCURRENCY=8
 *   BENCH_PGCOST_BREAKDOWN=1                       print WAL per relation of the last repetition
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { send } from './neon-endpoint.ts';
import { writeBenchResults } from './results.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const VARIANTS = (process.env.BENCH_PGCOST_VARIANTS ?? 'base').split(',');
const DIR = resolve(process.env.BENCH_PGCOST_DIR ?? join(ROOT, 'bench', 'variants'));
const CORPUS = process.env.BENCH_PGCOST_CORPUS ?? join(ROOT, 'bench', 'results', 'neon-endpoint-corpus.json');
const REQUESTS = Number(process.env.BENCH_PGCOST_REQUESTS ?? 2000);
const REPS = Number(process.env.BENCH_PGCOST_REPS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_PGCOST_CONCURRENCY ?? 8);
const TICK_MS = 10;
const TABLES = [
  'webhook_events',
  'products',
  'prices',
  'customers',
  'customer_mappings',
  'subscriptions',
  'subscription_items',
  'payment_history',
  'checkout_sessions',
].map((t) => `paywire.${t}`);

interface Recorded {
  headers: Record<string, string>;
  body: string;
}
const STRIPE_ID = /\b[a-z]+_[0-9a-z]{18}\b/g;
const corpus = (JSON.parse(readFileSync(CORPUS, 'utf8')) as Recorded[]).filter((r) =>
  r.body.startsWith('{"queries"'),
);
const templates = corpus.map((r) => ({
  headers: r.headers,
  parts: r.body.split(STRIPE_ID),
  ids: r.body.match(STRIPE_ID) ?? [],
}));
let passes = 0;
/**
 * `total` requests from ceil(total / corpus) passes with fresh ids, interleaved (template i of
 * every pass, then template i + 1): a history's events stay in order and never run concurrently
 * with each other (with fewer in flight than passes), so no two in-flight transactions share a
 * Stripe object or lock key — what is measured is the statements' cost, not lock waits.
 */
function jobs(total: number): Array<{ headers: Record<string, string>; body: string }> {
  const n = Math.ceil(total / templates.length);
  const ids = Array.from({ length: n }, () => ++passes);
  const out: Array<{ headers: Record<string, string>; body: string }> = [];
  for (const t of templates) {
    for (const pass of ids) {
      let body = t.parts[0]!;
      for (let i = 0; i < t.ids.length; i++) body += `${t.ids[i]}p${pass}${t.parts[i + 1]}`;
      out.push({ headers: t.headers, body });
    }
  }
  return out.slice(0, total);
}

async function replay(url: URL, list: ReturnType<typeof jobs>, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const job = list[next++]!;
        if ((await send(agent, url, { method: 'POST', path: url.pathname, ...job })) !== 200) failed++;
      }
    }),
  );
  agent.destroy();
  return { seconds: (performance.now() - t0) / 1000, failed };
}

function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

async function startEndpoint(databaseUrl: string): Promise<{ proc: ChildProcess; url: URL }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'dev', 'neon', 'cli.ts'), '--port', '0'],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const url = await new Promise<URL>((ok, fail) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) output.push(line);
        const m = /Local Neon endpoint ready: (\S+)/.exec(line);
        if (m) ok(new URL(m[1]!));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => fail(new Error(`endpoint exited (${code}):\n${output.join('\n')}`)));
  });
  return { proc, url };
}

interface Variant {
  name: string;
  db: string;
  client: pg.Client;
  endpoint: { proc: ChildProcess; url: URL };
}

async function counters(v: Variant) {
  const pids = (
    await v.client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )
  ).rows.map((r) => r.pid);
  const cpu = new Map(pids.map((p) => [p, cpuMs(p)]));
  const s = (
    await v.client.query<{ x: string; a: number; lsn: string }>(
      `select xact_commit + xact_rollback as x, active_time as a, pg_current_wal_lsn()::text as lsn
         from pg_stat_database where datname = current_database()`,
    )
  ).rows[0]!;
  return { cpu, xacts: Number(s.x), activeMs: Number(s.a), lsn: s.lsn };
}

/** WAL of this database between two LSNs, by relation (records naming its OID + their xacts' commits). */
async function wal(v: Variant, from: string, to: string) {
  const { rows } = await v.client.query<{ rel: string; bytes: string; fpi: string; records: string }>(
    `with r as (select xid, resource_manager, record_type, record_length, fpi_length, block_ref
                  from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
          db as (select oid from pg_database where datname = current_database()),
          mine as (select r.*, substring(block_ref from 'rel [0-9]+/[0-9]+/([0-9]+)')::oid as node
                     from r, db where r.block_ref ~ ('rel [0-9]+/' || db.oid || '/')),
          xids as (select distinct xid from mine where xid::text <> '0')
     select coalesce(pg_filenode_relation(0, node)::text, node::text) as rel,
            sum(record_length) as bytes, sum(fpi_length) as fpi, count(*) as records
       from mine group by 1
     union all
     select 'commit/abort', sum(record_length), 0, count(*) from r
      where resource_manager = 'Transaction' and xid in (select xid from xids)
        and block_ref is null
     order by 2 desc`,
    [from, to],
  );
  return rows.map((r) => ({
    rel: r.rel,
    bytes: Number(r.bytes),
    fpi: Number(r.fpi),
    records: Number(r.records),
  }));
}

const perReq = (x: number) => Number((x / REQUESTS).toFixed(3));

async function main() {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const variants: Variant[] = [];
  try {
    for (const name of VARIANTS) {
      const db = `paywire_pgcost_${name.replace(/\W/g, '_')}_${process.pid}`;
      await admin.query(`drop database if exists ${db} with (force)`);
      await admin.query(`create database ${db}`);
      const url = new URL(SERVER_URL);
      url.pathname = `/${db}`;
      const endpoint = await startEndpoint(url.toString());
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.query('create extension if not exists pg_walinspect');
      if (name !== 'base') await client.query(readFileSync(join(DIR, `${name}.sql`), 'utf8'));
      variants.push({ name, db, client, endpoint });
      // warm-up: JIT, the pool's connections, plans and catalog caches
      await replay(new URL('/sql', endpoint.url), jobs(Math.min(REQUESTS, 1000)), CONCURRENCY);
    }
    const slot = `paywire_pgcost_${process.pid}`;
    await admin.query('select pg_create_physical_replication_slot($1, true, true)', [slot]);
    const results: Array<Record<string, string | number>> = [];
    let lastWal: Record<string, Awaited<ReturnType<typeof wal>>> = {};
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        await v.client.query(`truncate ${TABLES.join(', ')}`);
        await v.client.query('checkpoint');
        const list = jobs(REQUESTS);
        const c0 = await counters(v);
        const run = await replay(new URL('/sql', v.endpoint.url), list, CONCURRENCY);
        const c1 = await counters(v);
        let pgCpu = 0;
        for (const [p, ms] of c1.cpu) pgCpu += ms - (c0.cpu.get(p) ?? 0);
        // pg_stat_database is flushed by idle backends at most every 10 s (PGSTAT_IDLE_INTERVAL)
        await new Promise((r) => setTimeout(r, 11_000));
        const c2 = await counters(v);
        const w = await wal(v, c0.lsn, c1.lsn);
        lastWal[v.name] = w;
        const total = w.reduce((n, r) => n + r.bytes, 0);
        const fpi = w.reduce((n, r) => n + r.fpi, 0);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        results.push({
          variant: v.name,
          rep: rep + 1,
          reqPerS: Math.round(REQUESTS / run.seconds),
          failed: run.failed,
          pgCpuMs: perReq(pgCpu),
          activeMs: perReq(c2.activeMs - c0.activeMs),
          xactsPerReq: perReq(c2.xacts - c0.xacts),
          walBytes: Math.round(total / REQUESTS),
          fpiBytes: Math.round(fpi / REQUESTS),
          load,
        });
        console.log(JSON.stringify(results.at(-1)));
      }
    }
    console.table(results);
    if (process.env.BENCH_PGCOST_BREAKDOWN) {
      for (const [name, w] of Object.entries(lastWal)) {
        console.log(`\nWAL per request by relation — ${name}`);
        console.table(
          w.map((r) => ({
            rel: r.rel,
            bytes: Math.round(r.bytes / REQUESTS),
            fpi: Math.round(r.fpi / REQUESTS),
            records: Number((r.records / REQUESTS).toFixed(2)),
          })),
        );
      }
    }
    lastWal = {};
    writeBenchResults('postgres-cost', {
      variants: VARIANTS,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      results,
    });
  } finally {
    for (const v of variants) {
      await v.client.end().catch(() => {});
      await new Promise<void>((done) => {
        if (v.endpoint.proc.exitCode !== null) return done();
        v.endpoint.proc.once('exit', () => done());
        v.endpoint.proc.kill('SIGTERM');
      });
      await admin.query(`drop database if exists ${v.db} with (force)`).catch(() => {});
    }
    await admin.end();
  }
}

await main();
