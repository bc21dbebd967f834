/**
 * bench/neon-endpoint: what the local Neon endpoint (dev/neon, Postgres backend) costs per
 * webhook transaction, apart from the Worker. Target (issue #16): ≤ 0.3 ms of endpoint CPU per event.
 *
 * 1. Corpus: the exact /sql requests the Worker sends for webhook events — recorded
 *    (NeonEndpoint.record) while signed real-shaped events (subscription, payment/refund and
 *    catalog histories) go through the Worker in `wrangler dev` on the local stack. Or a corpus
 *    file from an earlier run (BENCH_NEON_CORPUS), which skips wrangler.
 * 2. The endpoint runs in a CHILD process (`dev/neon/cli.ts` on the bench database), so its CPU
 *    is read from /proc/<pid>/stat; Postgres CPU is that of the bench database's backends.
 * 3. The corpus is replayed over keep-alive HTTP (node:http in this process) at concurrency 1
 *    and 8; every Stripe id in a request gets a per-pass suffix, so each pass inserts fresh
 *    events and objects and then updates them, as the recorded histories did. Two floors follow:
 *    `select 1` (HTTP + one Postgres round trip) and `GET /_neon/health` (HTTP only).
 *
 *   npx tsx bench/neon-endpoint.ts
 *   BENCH_DATABASE_URL=postgres://user@host:5432/db   server for `paywire_bench_neon_<pid>` (dropped at the end)
 *   BENCH_NEON_REQUESTS=2000                            requests per run
 *   BENCH_NEON_CONCURRENCY=1,8                          the runs' concurrencies
 *   BENCH_NEON_WORKLOADS=webhook,select 1,GET /_neon/health   which workloads (default all)
 *   BENCH_NEON_CORPUS=bench/results/neon-endpoint-corpus.json   replay a saved corpus
 *   BENCH_NEON_CPU_PROF=<dir>                           V8 CPU profile of the endpoint child
 *   BENCH_NEON_CLI=<path>/dev/neon/cli.ts               the endpoint of another checkout (A/B)
 *
 * Writes bench/results/neon-endpoint.json (and the recorded corpus next to it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import pg from 'pg';
import Stripe from 'stripe';
import type { RecordedRequest } from '../dev/neon/index.ts';
import { startLocalStack } from '../dev/stack.ts';
import type { TestEvent } from '../test/shared/stripe-events.ts';
import { writeBenchResults } from './results.ts';
import { history } from './webhooks.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUESTS = Number(process.env.BENCH_NEON_REQUESTS ?? 2000);
const CONCURRENCY = (process.env.BENCH_NEON_CONCURRENCY ?? '1,8').split(',').map(Number);
const CORPUS_EVENTS = 90;
const SECRET = 'whsec_paywire_bench_0123456789abcdefghijklmnop';
/** Linux reports process CPU in clock ticks of 10 ms (USER_HZ = 100) */
const TICK_MS = 10;

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function createBenchDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `paywire_bench_neon_${process.pid}`;
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

async function postEvent(workerUrl: string, event: TestEvent): Promise<void> {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
  const res = await fetch(`${workerUrl}/webhooks/stripe/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${event.type} answered ${res.status}`);
}

/** Runs events through the Worker (wrangler dev) on the bench database and keeps its /sql requests. */
async function recordCorpus(databaseUrl: string): Promise<RecordedRequest[]> {
  const stack = await startLocalStack({
    workerPort: 0,
    stripePort: 0,
    neonPort: 0,
    databaseUrl,
    logLevel: 'warn',
    vars: { STRIPE_WEBHOOK_SECRET_TEST: SECRET },
  });
  try {
    // a cold isolate reads the signing secret once; that request is not part of an event's cost
    for (const e of history(6)) await postEvent(stack.workerUrl, e);
    const stop = stack.neon.record();
    for (const e of history(CORPUS_EVENTS)) await postEvent(stack.workerUrl, e);
    return stop();
  } finally {
    await stack.stop();
  }
}

/** Stripe ids as the test generators make them (`<prefix>_` + 18 base-36 characters). */
const STRIPE_ID = /\b[a-z]+_[0-9a-z]{18}\b/g;

/** The corpus as replayable bodies: `$&` placeholders become a fresh suffix per pass. */
function templates(corpus: RecordedRequest[]) {
  return corpus.map((r) => ({
    headers: r.headers,
    parts: r.body.split(STRIPE_ID),
    ids: r.body.match(STRIPE_ID) ?? [],
  }));
}
type Template = ReturnType<typeof templates>[number];

function instantiate(t: Template, pass: number): string {
  let out = t.parts[0]!;
  for (let i = 0; i < t.ids.length; i++) out += `${t.ids[i]}p${pass}${t.parts[i + 1]}`;
  return out;
}

interface Child {
  proc: ChildProcess;
  url: URL;
  /** SQLSTATEs of the failed requests the endpoint logged (`sql: … error <code> …`), with counts */
  errors: Map<string, number>;
  stop(): Promise<void>;
}

/** `dev/neon/cli.ts` on the bench database (migrated at its start), in a process of its own. */
async function startEndpointChild(databaseUrl: string): Promise<Child> {
  const prof = process.env.BENCH_NEON_CPU_PROF;
  const proc = spawn(
    process.execPath,
    [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof)}`] : []),
      '--import',
      'tsx',
      resolve(process.env.BENCH_NEON_CLI ?? join(ROOT, 'dev', 'neon', 'cli.ts')),
      '--port',
      '0',
    ],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const errors = new Map<string, number>();
  const url = await new Promise<URL>((resolveUrl, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const failed = /^\[neon\] sql: \S+ \S+ (?:error (\w{5})|failed)/.exec(line);
        if (failed)
          errors.set(failed[1] ?? 'not Postgres', (errors.get(failed[1] ?? 'not Postgres') ?? 0) + 1);
        else if (line.trim() && output.length < 200) output.push(line);
        const m = /Local Neon endpoint ready: (\S+)/.exec(line);
        if (m) resolveUrl(new URL(m[1]!));
      }
    };
    proc.stdout!.on('data', onLine);
    proc.stderr!.on('data', onLine);
    proc.once('exit', (code) => reject(new Error(`endpoint exited (${code}):\n${output.join('\n')}`)));
  });
  return {
    proc,
    url,
    errors,
    stop: () =>
      new Promise<void>((done) => {
        if (proc.exitCode !== null) return done();
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
      }),
  };
}

/** user and system CPU of a process, ms (undefined once it is gone). */
function processCpu(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
  } catch {
    return undefined;
  }
}

function processCpuMs(pid: number): number | undefined {
  const cpu = processCpu(pid);
  return cpu && cpu.user + cpu.system;
}

async function backendPids(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  return rows.map((r) => r.pid);
}

function postgresCpu(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) m.set(pid, processCpuMs(pid) ?? 0);
  return m;
}

export interface Job {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One request on a keep-alive agent; resolves with the status once the body is read. */
export function send(agent: Agent, base: URL, job: Job): Promise<number> {
  return new Promise((done, reject) => {
    const req = request(
      new URL(job.path, base),
      {
        method: job.method,
        agent,
        headers:
          job.body === undefined
            ? job.headers
            : {
                ...job.headers,
                'content-type': 'text/plain;charset=UTF-8',
                'content-length': Buffer.byteLength(job.body),
              },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(job.body);
  });
}

const perRequest = (ms: number) => Number((ms / REQUESTS).toFixed(3));

let passes = 0;

/** The workloads: the Worker's transactions, and two floors to tell the endpoint's own cost apart. */
const WORKLOADS = {
  /** the recorded webhook transactions, fresh Stripe ids on every pass */
  webhook: (corpus: Template[], total: number): Job[] => {
    const jobs: Job[] = [];
    while (jobs.length < total) {
      const pass = ++passes;
      for (const t of corpus) {
        if (jobs.length < total) {
          jobs.push({ method: 'POST', path: '/sql', headers: t.headers, body: instantiate(t, pass) });
        }
      }
    }
    return jobs;
  },
  /** HTTP + one Postgres round trip, no work */
  'select 1': (corpus: Template[], total: number): Job[] =>
    Array.from({ length: total }, () => ({
      method: 'POST',
      path: '/sql',
      headers: corpus[0]!.headers,
      body: '{"query":"select 1","params":[]}',
    })),
  /** HTTP only (the control API's health answer) */
  'GET /_neon/health': (_: Template[], total: number): Job[] =>
    Array.from({ length: total }, () => ({ method: 'GET', path: '/_neon/health', headers: {} })),
} as const;

async function replay(url: URL, jobs: Job[], concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failed = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const t0 = performance.now();
        const status = await send(agent, url, job);
        latencies.push(performance.now() - t0);
        if (status !== 200) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { seconds, failed, p50: pct(50), p99: pct(99) };
}

async function loadCorpus(databaseUrl: string): Promise<RecordedRequest[]> {
  const file = process.env.BENCH_NEON_CORPUS;
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RecordedRequest[];
  const corpus = await recordCorpus(databaseUrl);
  const out = join(ROOT, 'bench', 'results', 'neon-endpoint-corpus.json');
  writeFileSync(out, JSON.stringify(corpus));
  console.log(`recorded ${corpus.length} requests → ${out}`);
  return corpus;
}

export async function runNeonEndpointBench() {
  const db = await createBenchDatabase();
  let child: Child | undefined;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  try {
    const corpus = await loadCorpus(db.url);
    const batches = corpus.filter((r) => r.body.startsWith('{"queries"'));
    const statements = batches.reduce(
      (n, r) => n + (JSON.parse(r.body) as { queries: unknown[] }).queries.length,
      0,
    );
    const tpl = templates(batches);
    child = await startEndpointChild(db.url);
    await admin.connect();
    const pid = child.proc.pid!;
    console.log(`endpoint: ${child.url.href} (pid ${pid})`);
    // warm-up: JIT, the pool's connections, the tables' first pages
    await replay(child.url, WORKLOADS.webhook(tpl, Math.min(REQUESTS, 1000)), 8);

    const results: Array<Record<string, number | string>> = [];
    const only = process.env.BENCH_NEON_WORKLOADS?.split(',');
    for (const [workload, jobsFor] of Object.entries(WORKLOADS)) {
      if (only && !only.includes(workload)) continue;
      for (const concurrency of CONCURRENCY) {
        const jobs = jobsFor(tpl, REQUESTS);
        child.errors.clear();
        const cpu0 = processCpu(pid)!;
        const pg0 = postgresCpu(await backendPids(admin, db.name));
        const run = await replay(child.url, jobs, concurrency);
        const cpu1 = processCpu(pid)!;
        let pgMs = 0;
        for (const [p, ms] of postgresCpu(await backendPids(admin, db.name))) pgMs += ms - (pg0.get(p) ?? 0);
        results.push({
          workload,
          concurrency,
          requests: REQUESTS,
          statementsPerRequest:
            workload === 'webhook'
              ? Number((statements / batches.length).toFixed(2))
              : workload === 'select 1'
                ? 1
                : 0,
          requestsPerSecond: Number((REQUESTS / run.seconds).toFixed(0)),
          p50Ms: Number(run.p50.toFixed(2)),
          p99Ms: Number(run.p99.toFixed(2)),
          failed: run.failed,
          failedCodes: [...child.errors].map(([code, n]) => `${code}×${n}`).join(' '),
          endpointCpuMsPerRequest: perRequest(cpu1.user + cpu1.system - cpu0.user - cpu0.system),
          endpointSystemMsPerRequest: perRequest(cpu1.system - cpu0.system),
          postgresCpuMsPerRequest: perRequest(pgMs),
        });
      }
    }
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `\nbench/neon-endpoint — ${batches.length} recorded webhook transactions replayed, endpoint (Postgres backend) in a child process; load ${load}`,
    );
    console.table(results);
    writeBenchResults('neon-endpoint', { load, corpusRequests: batches.length, results });
    return results;
  } finally {
    await admin.end().catch(() => {});
    await child?.stop();
    await db.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runNeonEndpointBench();
}
