/**
 * bench/compare: Paywire against @supabase/stripe-sync-engine, one run, the same Postgres, the
 * same signed corpus (issue #16). See docs/performance.md for the method and the figures.
 *
 *   npx tsx bench/compare/run.ts        (also part of `npm run bench`)
 *
 * Variables: BENCH_DATABASE_URL (server; default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_EVENTS (5000), BENCH_REPS (3), BENCH_CONCURRENCY ("1,8"), BENCH_SEED (1),
 * BENCH_SYSTEMS ("paywire,sync-engine"; the peer is skipped when bench/compare/sync-engine.ts is
 * absent), BENCH_VERBOSE (print the systems' log lines).
 *
 * Per system a fresh database `paywire_bench_cmp_<pid>_<system>` is created and dropped at the
 * end. Per repetition and concurrency each system in turn (A B A B …): its tables emptied,
 * CHECKPOINT, the corpus posted over keep-alive HTTP; then CPU, database and WAL figures are read.
 * The first repetition at concurrency 1 (in order) is each system's reference final state.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { type StripeEmulator, startStripeEmulator } from '../../dev/stripe/index.ts';
import { buildCorpus, type CorpusEvent, corpusTypes, signPayload } from '../corpus.ts';
import { writeBenchResults } from '../results.ts';
import { startPaywire } from './paywire.ts';
import { childPids, cpuMsOf, procStat, treeCpuMs } from './proc.ts';
import type { BenchSystem, FinalState, StartOptions } from './system.ts';

const here = dirname(fileURLToPath(import.meta.url));

interface Config {
  serverUrl: string;
  events: number;
  reps: number;
  concurrencies: number[];
  seed: number;
  systems: string[];
  verbose: boolean;
}

function config(): Config {
  const env = process.env;
  return {
    serverUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    events: Number(env.BENCH_EVENTS ?? 5000),
    reps: Number(env.BENCH_REPS ?? 3),
    concurrencies: (env.BENCH_CONCURRENCY ?? '1,8').split(',').map(Number),
    seed: Number(env.BENCH_SEED ?? 1),
    systems: (env.BENCH_SYSTEMS ?? 'paywire,sync-engine').split(',').map((s) => s.trim()),
    verbose: !!env.BENCH_VERBOSE,
  };
}

/** The commit, and the uncommitted files under src/, dev/neon/, migrations/ (taken before the build). */
function sourceVersion(): { head: string; dirty: string[] } | null {
  try {
    const root = join(here, '..', '..');
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'dev/neon', 'migrations'], {
      cwd: root,
      encoding: 'utf8',
    });
    return { head, dirty: dirty.split('\n').filter((l) => l.trim() !== '') };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STATS_SETTLE_MS = Number(process.env.BENCH_STATS_SETTLE_MS ?? 11_000);

// ------------------------------------------------------------------------------------------
// Systems

interface SystemEntry {
  key: string;
  start: (opts: StartOptions) => Promise<BenchSystem>;
  /** called once with every corpus the run will post (the peer seeds the Stripe emulator) */
  prepare?: (emulator: StripeEmulator, corpus: CorpusEvent[]) => void;
}

async function loadSystems(wanted: string[], log: (l: string) => void): Promise<SystemEntry[]> {
  const out: SystemEntry[] = [];
  for (const key of wanted) {
    if (key === 'paywire') out.push({ key, start: startPaywire });
    else if (key === 'sync-engine') {
      if (!existsSync(join(here, 'sync-engine.ts'))) {
        log('bench/compare/sync-engine.ts is absent: running Paywire alone');
        continue;
      }
      // a computed specifier: the peer is optional, and its types are not this file's concern
      const spec = './sync-engine.ts';
      const mod = (await import(spec)) as {
        startSyncEngine: (opts: StartOptions) => Promise<BenchSystem>;
        seedStripeForPeer?: (emulator: StripeEmulator, events: CorpusEvent[]) => unknown;
      };
      out.push({
        key,
        start: mod.startSyncEngine,
        prepare: mod.seedStripeForPeer
          ? (emulator, corpus) => {
              mod.seedStripeForPeer!(emulator, corpus);
            }
          : undefined,
      });
    } else throw new Error(`unknown system ${key} (BENCH_SYSTEMS: paywire, sync-engine)`);
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Postgres: databases, CPU of its processes, cumulative statistics

function dbUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** `postgres: <cluster>: <user> <database> <host(port)> <state>`: the database of a backend. */
function backendDatabase(pid: number): string | undefined {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    const m = /^postgres: (?:[^:]+: )?\S+ (\S+) /.exec(title);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/**
 * CPU of the backends serving one database, sampled from /proc every `everyMs` while a run goes
 * (backends come and go with the systems' pools: an exited one keeps its last sample).
 */
class BackendCpuSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  constructor(
    private readonly postmaster: number,
    private readonly database: string,
  ) {}

  private sample() {
    for (const pid of childPids(this.postmaster)) {
      if (backendDatabase(pid) !== this.database) continue;
      const s = procStat(pid);
      if (!s) continue;
      if (!this.first.has(pid)) this.first.set(pid, this.started ? 0 : s.cpuMs);
      this.last.set(pid, s.cpuMs);
    }
  }

  start(everyMs = 200) {
    this.sample();
    this.started = true;
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** ms of CPU since start(). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let total = 0;
    for (const [pid, end] of this.last) total += end - (this.first.get(pid) ?? 0);
    return total;
  }
}

interface DbCounters {
  xacts: number;
  activeMs: number;
  walLsn: string;
  /** pg_stat_statements, when preloaded: calls and total_exec_time of the database's statements */
  calls?: number;
  execMs?: number;
}

async function dbCounters(admin: pg.Client, database: string, statements: boolean): Promise<DbCounters> {
  const { rows } = await admin.query<{ xacts: string; active: number; lsn: string }>(
    `select xact_commit + xact_rollback as xacts, active_time as active, pg_current_wal_lsn()::text as lsn
       from pg_stat_database where datname = $1`,
    [database],
  );
  const r = rows[0]!;
  const counters: DbCounters = { xacts: Number(r.xacts), activeMs: Number(r.active), walLsn: r.lsn };
  if (statements) {
    const s = (
      await admin.query<{ calls: string; ms: number }>(
        `select coalesce(sum(calls), 0) as calls, coalesce(sum(total_exec_time), 0) as ms
           from pg_stat_statements where dbid = (select oid from pg_database where datname = $1)`,
        [database],
      )
    ).rows[0]!;
    counters.calls = Number(s.calls);
    counters.execMs = Number(s.ms);
  }
  return counters;
}

async function currentLsn(admin: pg.Client): Promise<string> {
  return (await admin.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
}

async function walBytes(admin: pg.Client, from: string, to: string): Promise<number> {
  const { rows } = await admin.query<{ d: string }>('select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) as d', [
    to,
    from,
  ]);
  return Number(rows[0]!.d);
}

/**
 * WAL written for one database between two LSNs (pg_walinspect, in the runner's own control
 * database): records whose block references name the database's OID, plus the commit/abort
 * records of the transactions that wrote them. The cluster-wide LSN difference also holds other
 * databases' writes (other users of a shared server).
 */
const WAL_SLOT = `paywire_bench_cmp_${process.pid}`;

/**
 * A temporary physical replication slot (this session's; gone when it ends) created afresh before
 * each run, so the run's WAL is still there to inspect after it even if a checkpoint recycles
 * segments meanwhile.
 */
async function holdWal(admin: pg.Client): Promise<void> {
  await admin.query(
    'select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1',
    [WAL_SLOT],
  );
  await admin.query('select pg_create_physical_replication_slot($1, true, true)', [WAL_SLOT]);
}

async function walBytesOf(admin: pg.Client, database: string, from: string, to: string): Promise<number> {
  const { rows } = await admin.query<{ bytes: string | null }>(
    `with db as (select oid from pg_database where datname = $3),
          r as (select xid, resource_manager, record_length, block_ref
                  from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
          mine as (select * from r, db where r.block_ref ~ ('rel [0-9]+/' || db.oid || '/')),
          xids as (select distinct xid from mine where xid::text <> '0')
     select (select coalesce(sum(record_length), 0) from mine)
          + (select coalesce(sum(record_length), 0) from r
              where resource_manager = 'Transaction' and xid in (select xid from xids)
                and not (block_ref ~ ('rel [0-9]+/' || (select oid from db) || '/'))) as bytes`,
    [from, to, database],
  );
  return Number(rows[0]!.bytes ?? 0);
}

// ------------------------------------------------------------------------------------------
// Load

interface Delivery {
  latencies: number[];
  failed: number;
  failures: Record<string, { count: number; status: number; body: string }>;
  /** positions of the failed deliveries, in order */
  failedIndexes: number[];
  seconds: number;
}

function post(
  agent: http.Agent,
  url: URL,
  body: string,
  signature: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePost, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'stripe-signature': signature,
          // as Stripe's deliveries do
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolvePost({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function deliver(
  system: BenchSystem,
  bodies: string[],
  types: string[],
  concurrency: number,
): Promise<Delivery> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(system.webhookUrl);
  const latencies: number[] = [];
  const failures: Delivery['failures'] = {};
  let failed = 0;
  const failedIndexes: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const body = bodies[i]!;
        const t0 = performance.now();
        let status = 0;
        let text = '';
        try {
          ({ status, text } = await post(agent, url, body, signPayload(body, system.signingSecret)));
        } catch (err) {
          text = (err as Error).message;
        }
        latencies.push(performance.now() - t0);
        if (status < 200 || status > 299) {
          failed++;
          failedIndexes.push(i);
          const type = types[i]!;
          failures[type] ??= { count: 0, status, body: text.slice(0, 200) };
          failures[type].count++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  failedIndexes.sort((a, b) => a - b);
  return { latencies, failed, failures, failedIndexes, seconds };
}

export interface FloorFigures {
  system: string;
  label: string;
  requests: number;
  statuses: Record<string, number>;
  requestsPerSecond: number;
  serverCpuMsPerRequest: number;
  serverCpuMsPerRequestByGroup: Record<string, number>;
}

/** Server CPU per request of the system's floor requests (3,000 each at concurrency 8). */
async function measureFloors(system: BenchSystem, n = 3000, concurrency = 8): Promise<FloorFigures[]> {
  const out: FloorFigures[] = [];
  const base = new URL(system.webhookUrl);
  for (const floor of system.floors ?? []) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const groups = system.serverPidGroups?.() ?? { server: system.serverPids() };
    const send = () =>
      new Promise<number>((resolveSend, reject) => {
        const req = http.request(
          {
            agent,
            host: base.hostname,
            port: base.port,
            path: floor.path,
            method: floor.method,
            headers: {
              ...floor.headers,
              ...(floor.body ? { 'content-length': Buffer.byteLength(floor.body) } : {}),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolveSend(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(floor.body);
      });
    for (let i = 0; i < 200; i++) await send(); // warm-up
    const before = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, cpuMsOf(v)]));
    const statuses: Record<string, number> = {};
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) {
          const status = String(await send());
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const byGroup = Object.fromEntries(
      Object.entries(groups).map(([k, v]) => [k, Number(((cpuMsOf(v) - before[k]!) / n).toFixed(3))]),
    );
    agent.destroy();
    out.push({
      system: system.name,
      label: floor.label,
      requests: n,
      statuses,
      requestsPerSecond: Math.round(n / seconds),
      serverCpuMsPerRequest: Number(
        Object.values(byGroup)
          .reduce((a, b) => a + b, 0)
          .toFixed(3),
      ),
      serverCpuMsPerRequestByGroup: byGroup,
    });
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A row's identity: its `id`, else (summary rows) its `status`, else its position. */
function rowKey(row: unknown, i: number): string {
  const o = row as { id?: unknown; status?: unknown } | null;
  return String(o?.id ?? o?.status ?? `#${i}`);
}

export interface StateDiff {
  /** rows missing, extra or different, per resource */
  counts: Record<string, number>;
  /** up to 2 differing rows per resource: the reference's and this run's version */
  sample: Record<string, Array<{ reference: unknown; actual: unknown }>>;
}

/** Rows that differ from the reference, per resource (no entry = equal). */
function stateDiff(reference: FinalState, actual: FinalState): StateDiff {
  const out: StateDiff = { counts: {}, sample: {} };
  for (const resource of new Set([...Object.keys(reference), ...Object.keys(actual)])) {
    const a = new Map((reference[resource] ?? []).map((row, i) => [rowKey(row, i), row]));
    const b = new Map((actual[resource] ?? []).map((row, i) => [rowKey(row, i), row]));
    let n = 0;
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      if (isDeepStrictEqual(a.get(key), b.get(key))) continue;
      n++;
      out.sample[resource] ??= [];
      const sample = out.sample[resource];
      if (sample.length < 2) sample.push({ reference: a.get(key) ?? null, actual: b.get(key) ?? null });
    }
    if (n > 0) out.counts[resource] = n;
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// One measured run

export interface RunFigures {
  system: string;
  concurrency: number;
  rep: number;
  events: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  failures: Delivery['failures'];
  /** null for the reference run itself */
  stateCorrect: boolean | null;
  stateDiff: StateDiff;
  /** the failed events delivered once more after the run (as Stripe retries), state compared again */
  retry: {
    redelivered: number;
    failedAgain: number;
    stateCorrect: boolean | null;
    stateDiff: Record<string, number>;
  } | null;
  serverCpuMsPerEvent: number;
  serverCpuMsPerEventByGroup: Record<string, number>;
  postgresBackendCpuMsPerEvent: number;
  postgresClusterCpuMsPerEvent: number;
  loadGeneratorCpuMsPerEvent: number;
  roundTripsPerEvent: number | null;
  statementsPerEvent: number | null;
  transactionsPerEvent: number;
  /** pg_stat_statements calls (when preloaded) */
  pgStatStatementsPerEvent: number | null;
  /** pg_stat_statements total_exec_time (when preloaded) */
  dbExecMsPerEvent: number | null;
  /** pg_stat_database.active_time: wall time its backends spent running statements */
  dbActiveMsPerEvent: number;
  /** the system's own database (pg_walinspect), else the whole cluster */
  walBytesPerEvent: number;
  walScope: 'database' | 'server';
  /** pg_current_wal_lsn() difference: every database of the server */
  walClusterBytesPerEvent: number;
}

interface Running {
  entry: SystemEntry;
  system: BenchSystem;
  database: string;
  reference?: FinalState;
}

async function measure(
  r: Running,
  admin: pg.Client,
  postmaster: number,
  bodies: string[],
  types: string[],
  concurrency: number,
  rep: number,
  ext: { walInspect: boolean; statements: boolean },
): Promise<RunFigures> {
  const { system } = r;
  await system.reset();
  await admin.query('CHECKPOINT');
  await sleep(STATS_SETTLE_MS);

  const groups = system.serverPidGroups?.() ?? { server: system.serverPids() };
  const pids = system.serverPids();
  if (ext.walInspect) await holdWal(admin);
  const db0 = await dbCounters(admin, r.database, ext.statements);
  const lsn0 = db0.walLsn;
  const rt0 = await system.roundTrips?.();
  const server0 = cpuMsOf(pids);
  const group0 = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, cpuMsOf(v)]));
  const cluster0 = treeCpuMs(postmaster);
  const self0 = process.cpuUsage();
  const sampler = new BackendCpuSampler(postmaster, r.database);
  sampler.start();

  const d = await deliver(system, bodies, types, concurrency);

  const self = process.cpuUsage(self0);
  const server = cpuMsOf(pids) - server0;
  const group = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, cpuMsOf(v) - group0[k]!]));
  const backends = sampler.stop();
  const cluster = treeCpuMs(postmaster) - cluster0;
  const lsn1 = await currentLsn(admin);
  const walCluster = await walBytes(admin, lsn0, lsn1);
  let wal = walCluster;
  let walScope: 'database' | 'server' = 'server';
  if (ext.walInspect) {
    try {
      wal = await walBytesOf(admin, r.database, lsn0, lsn1);
      walScope = 'database';
    } catch (err) {
      console.log(`  WAL of the database unreadable (${(err as Error).message}): whole server's instead`);
    }
  }
  const rt1 = await system.roundTrips?.();
  // A backend that flushed its statistics less than 1 s before going idle flushes again only
  // after 10 s (PGSTAT_IDLE_INTERVAL): wait that out, so xact_commit and active_time are whole.
  await sleep(STATS_SETTLE_MS);
  const db1 = await dbCounters(admin, r.database, ext.statements);

  let state = await system.finalState();
  let stateCorrect: boolean | null = null;
  let diff: StateDiff = { counts: {}, sample: {} };
  let retry: RunFigures['retry'] = null;
  const isReference = !r.reference;
  if (!r.reference) r.reference = state;
  else {
    diff = stateDiff(r.reference, state);
    stateCorrect = Object.keys(diff.counts).length === 0;
  }
  if (d.failedIndexes.length > 0) {
    // As Stripe would: deliver the failed events again (once, in order, after the run and its
    // counters), then compare the state again.
    const again = await deliver(
      system,
      d.failedIndexes.map((i) => bodies[i]!),
      d.failedIndexes.map((i) => types[i]!),
      1,
    );
    state = await system.finalState();
    if (isReference) r.reference = state;
    const after = isReference ? null : stateDiff(r.reference!, state);
    retry = {
      redelivered: d.failedIndexes.length,
      failedAgain: again.failed,
      stateCorrect: after ? Object.keys(after.counts).length === 0 : null,
      stateDiff: after ? after.counts : {},
    };
  }

  const n = bodies.length;
  const per = (x: number, digits = 3) => Number((x / n).toFixed(digits));
  const sorted = [...d.latencies].sort((a, b) => a - b);
  return {
    system: system.name,
    concurrency,
    rep,
    events: n,
    eventsPerSecond: Number((n / d.seconds).toFixed(1)),
    p50Ms: Number(percentile(sorted, 50).toFixed(2)),
    p99Ms: Number(percentile(sorted, 99).toFixed(2)),
    failed: d.failed,
    failures: d.failures,
    stateCorrect,
    stateDiff: diff,
    retry,
    serverCpuMsPerEvent: per(server),
    serverCpuMsPerEventByGroup: Object.fromEntries(Object.entries(group).map(([k, v]) => [k, per(v)])),
    postgresBackendCpuMsPerEvent: per(backends),
    postgresClusterCpuMsPerEvent: per(cluster),
    loadGeneratorCpuMsPerEvent: per((self.user + self.system) / 1000),
    roundTripsPerEvent: rt0 && rt1 ? per(rt1.roundTrips - rt0.roundTrips) : null,
    statementsPerEvent: rt0 && rt1 ? per(rt1.statements - rt0.statements, 2) : null,
    transactionsPerEvent: per(db1.xacts - db0.xacts),
    pgStatStatementsPerEvent:
      db0.calls !== undefined && db1.calls !== undefined ? per(db1.calls - db0.calls, 2) : null,
    dbExecMsPerEvent:
      db0.execMs !== undefined && db1.execMs !== undefined ? per(db1.execMs - db0.execMs) : null,
    dbActiveMsPerEvent: per(db1.activeMs - db0.activeMs),
    walBytesPerEvent: Math.round(wal / n),
    walScope,
    walClusterBytesPerEvent: Math.round(walCluster / n),
  };
}

// ------------------------------------------------------------------------------------------
// Summary

const METRICS: Array<[keyof RunFigures | `group:${string}`, string]> = [
  ['eventsPerSecond', 'events/s'],
  ['p50Ms', 'p50 ms'],
  ['p99Ms', 'p99 ms'],
  ['failed', 'failed events'],
  ['serverCpuMsPerEvent', 'server CPU ms/event'],
  ['group:worker', '  of which Worker (workerd)'],
  ['group:endpoint', '  of which local Neon endpoint'],
  ['postgresBackendCpuMsPerEvent', 'Postgres CPU ms/event (its backends)'],
  ['postgresClusterCpuMsPerEvent', 'Postgres CPU ms/event (whole cluster)'],
  ['roundTripsPerEvent', 'DB round trips/event'],
  ['statementsPerEvent', "SQL statements/event (system's count)"],
  ['pgStatStatementsPerEvent', 'SQL statements/event (pg_stat_statements)'],
  ['transactionsPerEvent', 'transactions/event (pg_stat_database)'],
  ['dbExecMsPerEvent', 'DB execution ms/event (pg_stat_statements)'],
  ['dbActiveMsPerEvent', 'DB active ms/event (pg_stat_database.active_time)'],
  ['walBytesPerEvent', 'WAL bytes/event (its database)'],
  ['walClusterBytesPerEvent', 'WAL bytes/event (whole server)'],
  ['loadGeneratorCpuMsPerEvent', 'load generator CPU ms/event'],
];

function value(f: RunFigures, metric: string): number | null {
  if (metric.startsWith('group:')) return f.serverCpuMsPerEventByGroup[metric.slice(6)] ?? null;
  const v = f[metric as keyof RunFigures];
  return typeof v === 'number' ? v : null;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0]!, median: Number(mid.toFixed(3)), max: s[s.length - 1]! };
}

function fmt(x: number): string {
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function fmtSpread(s: Spread | null): string {
  if (!s) return 'n/a';
  return s.min === s.max ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

export interface Summary {
  concurrency: number;
  system: string;
  metrics: Record<string, Spread | null>;
  stateCorrect: string;
}

function summarize(runs: RunFigures[], systems: string[], concurrencies: number[]): Summary[] {
  const out: Summary[] = [];
  for (const concurrency of concurrencies) {
    for (const system of systems) {
      const mine = runs.filter((r) => r.system === system && r.concurrency === concurrency);
      const metrics: Record<string, Spread | null> = {};
      for (const [m] of METRICS) {
        metrics[m] = spread(mine.map((r) => value(r, m)).filter((v): v is number => v !== null));
      }
      const checked = mine.filter((r) => r.stateCorrect !== null);
      const ok = checked.filter((r) => r.stateCorrect).length;
      const isRef = mine.some((r) => r.stateCorrect === null);
      const retried = checked.filter((r) => r.retry);
      const okAfter = checked.filter((r) => (r.retry ? r.retry.stateCorrect : r.stateCorrect)).length;
      out.push({
        concurrency,
        system,
        metrics,
        stateCorrect:
          `${ok}/${checked.length} equal${isRef ? ' (+ the reference run)' : ''}` +
          (retried.length ? `; ${okAfter}/${checked.length} after redelivering the failed events once` : ''),
      });
    }
  }
  return out;
}

/** Markdown: one table per concurrency, systems side by side, ratio first/second system. */
export function renderTables(summaries: Summary[], systems: string[]): string {
  const lines: string[] = [];
  for (const concurrency of [...new Set(summaries.map((s) => s.concurrency))]) {
    const row = (system: string) =>
      summaries.find((s) => s.concurrency === concurrency && s.system === system)!;
    const cols = systems.map(row);
    const ratio = systems.length === 2;
    lines.push(`\nconcurrency ${concurrency} — median (min–max) over repetitions`);
    lines.push(`| metric | ${systems.join(' | ')} |${ratio ? ` ${systems[0]} / ${systems[1]} |` : ''}`);
    lines.push(`|---|${systems.map(() => '---').join('|')}|${ratio ? '---|' : ''}`);
    for (const [m, label] of METRICS) {
      const spreads = cols.map((c) => c.metrics[m] ?? null);
      if (spreads.every((s) => s === null)) continue;
      let r = '';
      if (ratio) {
        const [a, b] = spreads;
        r = a && b && b.median !== 0 ? ` ${(a.median / b.median).toFixed(2)}× |` : ' n/a |';
      }
      lines.push(`| ${label} | ${spreads.map(fmtSpread).join(' | ')} |${r}`);
    }
    lines.push(
      `| final state = in-order reference | ${cols.map((c) => c.stateCorrect).join(' | ')} |${ratio ? ' |' : ''}`,
    );
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------

export async function runCompareBench() {
  const cfg = config();
  const log = (l: string) => console.log(l);
  const systemLog = cfg.verbose ? log : () => {};
  const admin = new pg.Client({ connectionString: cfg.serverUrl, application_name: 'bench-compare-admin' });
  await admin.connect();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const info = (
      await admin.query<{ v: string; spl: string; pid: number }>(
        `select current_setting('server_version') as v, current_setting('shared_preload_libraries') as spl,
                pg_backend_pid() as pid`,
      )
    ).rows[0]!;
    const postmaster = procStat(info.pid)?.ppid;
    if (!postmaster)
      throw new Error('cannot read the Postgres backend in /proc (is the server on this machine?)');
    const pgStatStatements = info.spl.split(',').some((s) => s.trim() === 'pg_stat_statements');

    // The runner's own control database: its statistics queries stay out of the systems' figures.
    const ctlName = `paywire_bench_cmp_${process.pid}_ctl`;
    await admin.query(`drop database if exists ${ctlName} with (force)`);
    await admin.query(`create database ${ctlName}`);
    cleanups.push(() => admin.query(`drop database if exists ${ctlName} with (force)`));
    const ctl = new pg.Client({
      connectionString: dbUrl(cfg.serverUrl, ctlName),
      application_name: 'bench-compare',
    });
    await ctl.connect();
    cleanups.push(() => ctl.end());
    const walInspect = await ctl
      .query('create extension if not exists pg_walinspect')
      .then(() => true)
      .catch(() => false);
    const statements =
      pgStatStatements &&
      (await ctl
        .query('create extension if not exists pg_stat_statements')
        .then(() => true)
        .catch(() => false));
    log(
      `bench/compare: Postgres ${info.v}; pg_stat_statements ${statements ? 'in use' : "not preloaded (statements from the systems' own counters, DB time from pg_stat_database.active_time)"}; pg_walinspect ${walInspect ? 'in use (WAL per database)' : 'unavailable (WAL of the whole server)'}`,
    );

    const source = sourceVersion();
    log(`source: ${JSON.stringify(source)}`);
    const systems = await loadSystems(cfg.systems, log);
    const corpus = buildCorpus({ events: cfg.events, seed: cfg.seed });
    const warmup = buildCorpus({ events: 200, seed: cfg.seed + 1000 });
    const bodies = corpus.map((e) => JSON.stringify(e));
    const types = corpus.map((e) => e.type);
    const warmBodies = warmup.map((e) => JSON.stringify(e));
    const warmTypes = warmup.map((e) => e.type);
    log(
      `corpus: ${corpus.length} events (seed ${cfg.seed}), ${Math.round(bodies.reduce((a, b) => a + b.length, 0) / bodies.length)} bytes on average; ${JSON.stringify(corpusTypes(corpus))}`,
    );

    const emulator = await startStripeEmulator({ port: 0 });
    cleanups.push(() => emulator.close());
    for (const s of systems) {
      s.prepare?.(emulator, corpus);
      s.prepare?.(emulator, warmup);
    }

    const running: Running[] = [];
    for (const entry of systems) {
      const database = `paywire_bench_cmp_${process.pid}_${entry.key.replace(/[^a-z0-9]/g, '_')}`;
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.query(`create database ${database}`);
      cleanups.push(() => admin.query(`drop database if exists ${database} with (force)`));
      const t0 = performance.now();
      const system = await entry.start({
        databaseUrl: dbUrl(cfg.serverUrl, database),
        stripeApiUrl: emulator.url,
        log: (l) => systemLog(`[${entry.key}] ${l}`),
      });
      cleanups.push(() => system.close());
      log(`${system.name}: started in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${database}`);
      // warm-up: JIT, pools, a cold isolate's first reads; then the measured runs start empty
      for (const c of cfg.concurrencies) {
        const w = await deliver(system, warmBodies, warmTypes, c);
        log(`  warm-up at concurrency ${c}: ${w.latencies.length} events, ${w.failed} failed`);
        for (const [type, fail] of Object.entries(w.failures)) {
          log(`    failed ${type}: ${fail.count}× HTTP ${fail.status} ${fail.body}`);
        }
      }
      running.push({ entry, system, database });
    }

    const load0 = loadavg();
    log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
    const runs: RunFigures[] = [];
    for (let rep = 1; rep <= cfg.reps; rep++) {
      for (const concurrency of cfg.concurrencies) {
        for (const r of running) {
          const f = await measure(r, ctl, postmaster, bodies, types, concurrency, rep, {
            walInspect,
            statements,
          });
          runs.push(f);
          log(
            `rep ${rep} conc ${concurrency} ${f.system}: ${f.eventsPerSecond} ev/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, failed ${f.failed}, state ${f.stateCorrect === null ? 'reference' : f.stateCorrect ? 'equal' : `DIFFERS ${JSON.stringify(f.stateDiff.counts)}`}, server ${f.serverCpuMsPerEvent} ms/ev ${JSON.stringify(f.serverCpuMsPerEventByGroup)}, pg ${f.postgresBackendCpuMsPerEvent}/${f.postgresClusterCpuMsPerEvent} ms/ev, xact ${f.transactionsPerEvent}/ev, WAL ${f.walBytesPerEvent} B/ev`,
          );
          for (const [type, fail] of Object.entries(f.failures)) {
            log(`  failed ${type}: ${fail.count}× HTTP ${fail.status} ${fail.body}`);
          }
          if (f.retry) {
            log(
              `  redelivered ${f.retry.redelivered} failed events: ${f.retry.failedAgain} failed again, state ${f.retry.stateCorrect === null ? 'taken as the reference' : f.retry.stateCorrect ? 'equal' : `DIFFERS ${JSON.stringify(f.retry.stateDiff)}`}`,
            );
          }
          for (const [resource, rows] of Object.entries(f.stateDiff.sample)) {
            log(`  ${resource} e.g. ${JSON.stringify(rows[0])}`);
          }
        }
      }
    }
    const floors: FloorFigures[] = [];
    for (const r of running) floors.push(...(await measureFloors(r.system)));
    const load1 = loadavg();

    const names = running.map((r) => r.system.name);
    const summaries = summarize(runs, names, cfg.concurrencies);
    const tables = renderTables(summaries, names);
    log(
      `\nbench/compare — ${cfg.events} events, ${cfg.reps} repetitions; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`,
    );
    log(tables);
    if (floors.length) {
      log('\nfloors — 3,000 requests at concurrency 8, server CPU ms per request');
      for (const f of floors) {
        log(
          `  ${f.system}: ${f.label}: ${f.requestsPerSecond} req/s, ${f.serverCpuMsPerRequest} ms ${JSON.stringify(f.serverCpuMsPerRequestByGroup)} ${JSON.stringify(f.statuses)}`,
        );
      }
    }
    const date = new Date().toISOString().slice(0, 10);
    writeBenchResults(date, {
      bench: 'compare',
      source,
      config: { ...cfg, serverUrl: new URL(cfg.serverUrl).host },
      postgres: { version: info.v, pgStatStatements: statements, pgWalInspect: walInspect },
      loadAverage: { start: load0, end: load1 },
      corpus: { events: corpus.length, seed: cfg.seed, types: corpusTypes(corpus) },
      summaries,
      runs,
      floors,
      tables,
    });
    return { summaries, runs, floors, tables };
  } finally {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        log(`cleanup: ${(err as Error).message}`);
      }
    }
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCompareBench();
}
