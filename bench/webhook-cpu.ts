/**
 * bench/webhook-cpu: the Worker's own CPU per webhook event, deterministic and without a database.
 *
 * The Worker bundle is built as deployed (`wrangler deploy --dry-run --outdir`, with its
 * sourcemap), imported into this Node 22 process, and its `fetch(request, env, ctx)` called
 * directly. Neon's SQL-over-HTTP is answered in-process by a stand-in for `fetch` (the same
 * request/response JSON as dev/neon), with canned results: no sockets, no Postgres. The
 * figure is the process's CPU (user + system) over the corpus minus the stand-in's own time.
 * The events are bench/corpus.ts's (the head-to-head benchmark's corpus), signed per pass.
 *
 *   npx tsx bench/webhook-cpu.ts [--profile] [--ref <commit>]   (also part of `npm run bench`)
 *
 * Without --ref (BENCH_CPU_REF) the working tree is built, uncommitted changes included; with it,
 * that commit (exported with `git archive`), so two versions can be compared side by side.
 *
 * Every response must be 200 `processed`/`duplicate` and every event exactly one Neon request,
 * or the run fails: a broken build cannot show a fake speedup. With --profile (or
 * BENCH_CPU_PROFILE=1) one more pass runs under the V8 profiler (not counted in the figures):
 * bench/results/webhook-cpu.cpuprofile, and self time grouped by package via the sourcemap.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildCorpus, type CorpusEvent, signPayload } from './corpus.ts';
import { writeBenchResults } from './results.ts';

const ROOT = resolve(import.meta.dirname, '..');
const EVENTS = Number(process.env.BENCH_CPU_EVENTS ?? 3000);
const WARMUP = Number(process.env.BENCH_CPU_WARMUP ?? 500);
const REPETITIONS = Number(process.env.BENCH_CPU_REPETITIONS ?? 5);
const SEED = Number(process.env.BENCH_CPU_SEED ?? 1);
const SECRET = 'whsec_paywire_bench_cpu_0123456789abcdefghij';
const NEON_ENDPOINT = 'http://neon.bench.invalid/sql';
const WORKER_ORIGIN = 'https://paywire.bench.invalid';

/** What a deployed Worker sees: wrangler.toml's vars ("" = unset) plus the secrets. */
const WORKER_ENV = {
  DATABASE_URL: 'postgresql://paywire:bench@ep-bench-cpu-000000.eu-central-1.aws.neon.tech/paywire',
  ADMIN_API_KEY: 'bench-admin-key-0123456789abcdef',
  PAYWIRE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  // The simplest legitimate secret source: the Worker secret (no stored connection row).
  STRIPE_WEBHOOK_SECRET_TEST: SECRET,
  NEON_FETCH_ENDPOINT: NEON_ENDPOINT,
  LOG_LEVEL: process.env.BENCH_CPU_LOG_LEVEL ?? 'warn',
  PAYWIRE_PUBLIC_URL: '',
  STRIPE_API_BASE: '',
  JWT_JWKS_URL: '',
  JWT_ISSUER: '',
  JWT_AUDIENCE: '',
  PAYWIRE_ALLOWED_ORIGINS: '',
  RATE_LIMIT_USER: { limit: async () => ({ success: true }) },
  RATE_LIMIT_IP: { limit: async () => ({ success: true }) },
};

interface WorkerModule {
  default: { fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> };
}

interface Built {
  /** temporary directory holding everything below */
  dir: string;
  /** the tree the bundle was built from (ROOT, or an exported commit) */
  source: string;
  file: string;
  map: string;
  bytes: number;
}

/**
 * `wrangler deploy --dry-run --outdir`: the bundle exactly as it would be uploaded, plus its
 * sourcemap. From the working tree, or (`ref`) from a commit exported with `git archive` into a
 * temporary directory that borrows this checkout's node_modules.
 */
function buildWorker(ref: string | undefined): Built {
  const dir = mkdtempSync(join(tmpdir(), 'paywire-webhook-cpu-'));
  let source = ROOT;
  if (ref) {
    source = join(dir, 'tree');
    mkdirSync(source);
    execFileSync('sh', ['-c', 'git archive "$1" | tar -x -C "$2"', 'sh', ref, source], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  }
  const outdir = join(dir, 'out');
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const out = spawnSync(
    process.execPath,
    [wrangler, 'deploy', '--dry-run', '--outdir', outdir, '--upload-source-maps'],
    {
      cwd: source,
      encoding: 'utf8',
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_HIDE_BANNER: 'true',
      },
    },
  );
  if (out.status !== 0) throw new Error(`wrangler build failed:\n${out.stdout}\n${out.stderr}`);
  // Imported as .mjs: tsx rewrites a .js module on import (so profile positions would not match
  // the sourcemap) but leaves .mjs alone. Same bytes, minus the sourceMappingURL comment.
  const js = join(outdir, 'index.js');
  const file = join(outdir, 'worker.mjs');
  writeFileSync(file, readFileSync(js, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  return { dir, source, file, map: `${js}.map`, bytes: statSync(js).size };
}

// ---------------------------------------------------------------------------------------------
// Neon's /sql answered in-process

interface NeonStats {
  requests: number;
  statements: number;
  /** time spent inside the stand-in (parsing the request, building the answer), excluded */
  ms: number;
  unexpected: string[];
  sample: Map<string, string[]>;
}

const neonStats: NeonStats = { requests: 0, statements: 0, ms: 0, unexpected: [], sample: new Map() };
let rowId = 0;

interface NeonQuery {
  query: string;
  params?: unknown[];
}

/** One statement's canned result in Neon's shape: `returning` gives one row, a select none. */
function answerStatement(q: NeonQuery) {
  neonStats.statements++;
  const sql = q.query;
  const command = (/^\s*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
  const returning = /\sreturning\s+(.+?)\s*$/is.exec(sql);
  if (!returning || command === 'SELECT') {
    return { fields: [], rows: [], command, rowCount: command === 'SELECT' ? 0 : 1, rowAsArray: true };
  }
  const names = returning[1]!.split(',').map((c) => c.trim().replace(/^.*\./, '').replaceAll('"', ''));
  rowId++;
  return {
    fields: names.map((name) => ({
      name,
      dataTypeID: 25,
      tableID: 0,
      columnID: 0,
      dataTypeSize: -1,
      dataTypeModifier: -1,
      format: 'text',
    })),
    rows: [names.map((name) => (name === 'id' ? String(rowId) : `${name}_${rowId}`))],
    command,
    rowCount: 1,
    rowAsArray: true,
  };
}

function fakeNeonFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const started = performance.now();
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url !== NEON_ENDPOINT || typeof init?.body !== 'string') {
    neonStats.unexpected.push(url);
    return Promise.reject(new Error(`bench: unexpected fetch to ${url}`));
  }
  neonStats.requests++;
  const payload = JSON.parse(init.body) as NeonQuery | { queries: NeonQuery[] };
  const body =
    'queries' in payload ? { results: payload.queries.map(answerStatement) } : answerStatement(payload);
  if (process.env.BENCH_CPU_SHOW_SQL && 'queries' in payload) {
    const key = payload.queries.map((q) => q.query.slice(0, 40)).join(' | ');
    if (!neonStats.sample.has(key))
      neonStats.sample.set(
        key,
        payload.queries.map((q) => q.query),
      );
  }
  const response = new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
  neonStats.ms += performance.now() - started;
  return Promise.resolve(response);
}

// ---------------------------------------------------------------------------------------------
// Driving the Worker

interface Delivery {
  request: Request;
  type: string;
}

/** Signed just before a pass (Stripe's tolerance is 5 minutes); built outside the timed loop. */
function deliveries(events: CorpusEvent[]): Delivery[] {
  return events.map((event) => {
    const payload = JSON.stringify(event);
    const signature = signPayload(payload, SECRET);
    return {
      type: event.type,
      request: new Request(`${WORKER_ORIGIN}/webhooks/stripe/test`, {
        method: 'POST',
        // As Stripe delivers them: with a Content-Length (without one, hono's bodyLimit re-reads the stream).
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(payload)),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signature,
        },
        body: payload,
      }),
    };
  });
}

interface Pass {
  events: number;
  cpuMs: number;
  wallMs: number;
  fakeNeonMs: number;
  neonRequests: number;
  statements: number;
  eventWallMs: number[];
  statuses: Record<string, number>;
}

async function runPass(worker: WorkerModule['default'], batch: Delivery[]): Promise<Pass> {
  const statuses: Record<string, number> = {};
  const eventWallMs: number[] = [];
  const deferred: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => deferred.push(p),
    passThroughOnException: () => {},
    props: {},
  };
  const before = { ...neonStats };
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (const { request, type } of batch) {
    const t0 = performance.now();
    const res = await worker.fetch(request, WORKER_ENV, ctx);
    const text = await res.text();
    eventWallMs.push(performance.now() - t0);
    const status = res.status === 200 ? (JSON.parse(text) as { status?: string }).status : undefined;
    if (status !== 'processed' && status !== 'duplicate') {
      throw new Error(`bench: ${type} answered ${res.status} ${text.slice(0, 300)}`);
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(deferred);
  if (neonStats.unexpected.length) throw new Error(`bench: unexpected fetches: ${neonStats.unexpected}`);
  return {
    events: batch.length,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    fakeNeonMs: neonStats.ms - before.ms,
    neonRequests: neonStats.requests - before.requests,
    statements: neonStats.statements - before.statements,
    eventWallMs,
    statuses,
  };
}

/** A full collection before each pass, so each starts from the same heap (garbage made in a pass is its own). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** What was measured: a commit, or the working tree (HEAD plus whatever src/ changes are uncommitted). */
function buildSource(ref: string | undefined): { tree: string; commit: string; srcDirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  if (ref)
    return { tree: `commit ${ref}`, commit: git('rev-parse', '--short', `${ref}^{commit}`), srcDirty: false };
  const dirty = git('status', '--porcelain', '--', 'src', 'drizzle', 'wrangler.toml', 'package.json') !== '';
  return { tree: 'working tree', commit: git('rev-parse', '--short', 'HEAD'), srcDirty: dirty };
}

function machineLoad(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export async function runWebhookCpuBench(options: { profile?: boolean; ref?: string } = {}) {
  const profile =
    options.profile ?? (process.argv.includes('--profile') || process.env.BENCH_CPU_PROFILE === '1');
  const ref = options.ref ?? argValue('--ref') ?? (process.env.BENCH_CPU_REF || undefined);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22)
    throw new Error(`bench/webhook-cpu needs Node 22 (npx tsx / npm run), not ${process.version}`);

  const git = buildSource(ref);
  const built = buildWorker(ref);
  const realFetch = globalThis.fetch;
  globalThis.fetch = fakeNeonFetch as typeof fetch;
  try {
    const worker = ((await import(pathToFileURL(built.file).href)) as WorkerModule).default;
    const gc = collector();

    // Warm-up: JIT, and the one signing-secret lookup a cold isolate makes.
    await runPass(worker, deliveries(buildCorpus({ events: WARMUP, seed: SEED + 1000 })));

    const events = buildCorpus({ events: EVENTS, seed: SEED });
    const passes: Pass[] = [];
    for (let rep = 0; rep < REPETITIONS; rep++) {
      const batch = deliveries(events);
      gc();
      passes.push(await runPass(worker, batch));
    }

    const perEvent = (p: Pass, ms: number) => ms / p.events;
    const reps = passes.map((p) => ({
      cpuMsPerEvent: round(perEvent(p, p.cpuMs - p.fakeNeonMs)),
      processCpuMsPerEvent: round(perEvent(p, p.cpuMs)),
      fakeNeonMsPerEvent: round(perEvent(p, p.fakeNeonMs)),
      wallMsPerEvent: round(perEvent(p, p.wallMs)),
    }));
    const allWall = passes.flatMap((p) => p.eventWallMs);
    const totalEvents = passes.reduce((n, p) => n + p.events, 0);
    const neonRequests = passes.reduce((n, p) => n + p.neonRequests, 0);
    const statements = passes.reduce((n, p) => n + p.statements, 0);
    const statuses: Record<string, number> = {};
    for (const p of passes)
      for (const [k, v] of Object.entries(p.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    const neonRequestsPerEvent = neonRequests / totalEvents;
    if (Math.abs(neonRequestsPerEvent - 1) > 0.001) {
      throw new Error(`bench: ${neonRequestsPerEvent.toFixed(4)} Neon requests per event, expected 1`);
    }

    const load = machineLoad();
    const summary = {
      git,
      node: process.version,
      bundleBytes: built.bytes,
      events: EVENTS,
      seed: SEED,
      warmup: WARMUP,
      repetitions: REPETITIONS,
      logLevel: WORKER_ENV.LOG_LEVEL,
      cpuMsPerEventMedian: median(reps.map((r) => r.cpuMsPerEvent)),
      cpuMsPerEventMin: Math.min(...reps.map((r) => r.cpuMsPerEvent)),
      cpuMsPerEventMax: Math.max(...reps.map((r) => r.cpuMsPerEvent)),
      fakeNeonMsPerEventMedian: median(reps.map((r) => r.fakeNeonMsPerEvent)),
      wallMsPerEventMedian: median(reps.map((r) => r.wallMsPerEvent)),
      eventWallP50Ms: round(percentile(allWall, 50)),
      eventWallP99Ms: round(percentile(allWall, 99)),
      neonRequestsPerEvent: round(neonRequestsPerEvent),
      statementsPerEvent: round(statements / totalEvents, 2),
      statuses,
      load,
    };

    console.log(
      `\nbench/webhook-cpu — built bundle in Node ${process.version}, Neon answered in-process; ` +
        `${EVENTS} events × ${REPETITIONS} (after ${WARMUP} warm-up), LOG_LEVEL=${WORKER_ENV.LOG_LEVEL}, ` +
        `${git.tree} at ${git.commit}${git.srcDirty ? ' + uncommitted src/ changes' : ''}`,
    );
    console.table(reps);
    console.log(
      `Worker CPU per event: median ${summary.cpuMsPerEventMedian} ms (min ${summary.cpuMsPerEventMin}, ` +
        `max ${summary.cpuMsPerEventMax}); wall p50 ${summary.eventWallP50Ms} ms, p99 ${summary.eventWallP99Ms} ms; ` +
        `Neon requests/event ${summary.neonRequestsPerEvent}, statements/event ${summary.statementsPerEvent}; ` +
        `statuses ${JSON.stringify(statuses)}\n${load}`,
    );
    for (const [, queries] of neonStats.sample) console.log(`\n-- batch\n${queries.join(';\n')}`);

    let profileSummary: ProfileSummary | undefined;
    if (profile) {
      const batch = deliveries(events);
      gc();
      const { pass, cpuprofile } = await profiled(() => runPass(worker, batch));
      const file = join(import.meta.dirname, 'results', 'webhook-cpu.cpuprofile');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(cpuprofile));
      console.log(`\nwritten ${file} (one extra pass of ${pass.events} events under the profiler)`);
      profileSummary = summariseProfile(cpuprofile, built);
      printProfile(profileSummary);
    }

    writeBenchResults('webhook-cpu', { ...summary, reps, profile: profileSummary });
    return { ...summary, reps, profile: profileSummary };
  } finally {
    globalThis.fetch = realFetch;
    rmSync(built.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Profile: V8 sampling profiler, self time mapped back to source files through the sourcemap

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

async function profiled<T>(work: () => Promise<T>): Promise<{ pass: T; cpuprofile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const pass = await work();
    const { profile } = await session.post('Profiler.stop');
    return { pass, cpuprofile: profile as unknown as CpuProfile };
  } finally {
    session.disconnect();
  }
}

const VLQ = new Map(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]),
);

/** Decodes a v3 sourcemap's mappings: per generated line, [generated column, source, original line] triples. */
function decodeMappings(mappings: string): Int32Array[] {
  const lines: Int32Array[] = [];
  let source = 0;
  let origLine = 0;
  for (const line of mappings.split(';')) {
    const out: number[] = [];
    let genCol = 0;
    if (line) {
      for (const segment of line.split(',')) {
        const fields: number[] = [];
        let value = 0;
        let shift = 0;
        for (const ch of segment) {
          const digit = VLQ.get(ch)!;
          value += (digit & 31) << shift;
          if (digit & 32) shift += 5;
          else {
            fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        genCol += fields[0]!;
        if (fields.length >= 4) {
          source += fields[1]!;
          origLine += fields[2]!;
          out.push(genCol, source, origLine);
        }
      }
    }
    lines.push(Int32Array.from(out));
  }
  return lines;
}

interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** self time per package; `withRuntimeMs` adds the Node runtime code (crypto, undici, …) it called */
  packages: Array<{ group: string; ms: number; pct: number; withRuntimeMs: number; withRuntimePct: number }>;
  functions: Array<{ fn: string; where: string; group: string; ms: number; pct: number }>;
}

/** Where a source path belongs: node_modules/<pkg>, or its folder in the repo (src/<dir>/<dir>). */
function groupOf(sourcePath: string): string {
  const nm = sourcePath.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = sourcePath.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dirs = sourcePath.split('/').slice(0, -1);
  return dirs.slice(0, 3).join('/') || sourcePath;
}

/**
 * A package whose own sourcemaps point outside it (drizzle-orm's say `../src/entity.ts`) shows up
 * as node_modules/src/…: name the package that ships the matching .js file.
 */
function sourceOwner(sources: string[]): (source: string) => string {
  const modules = join(ROOT, 'node_modules');
  // Packages the bundle visibly holds come first (drizzle-kit also ships e.g. a utils.js).
  const bundled = new Set(sources.filter((s) => !s.includes('node_modules/src/')).map(groupOf));
  const packages = readdirSync(modules)
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
    )
    .sort((a, b) => Number(bundled.has(b)) - Number(bundled.has(a)));
  const cache = new Map<string, string>();
  return (source) => {
    const orphan = /(?:^|\/)node_modules\/src\/(.+)\.ts$/.exec(source);
    if (!orphan) return source;
    let resolved = cache.get(orphan[1]!);
    if (resolved === undefined) {
      const owner = packages.find((p) => existsSync(join(modules, p, `${orphan[1]}.js`)));
      resolved = owner ? `node_modules/${owner}/src/${orphan[1]}.ts` : source;
      cache.set(orphan[1]!, resolved);
    }
    return resolved;
  };
}

interface Attribution {
  group: string;
  fn: string;
  where: string;
  /** a frame of the Worker bundle (not Node's runtime, the harness or V8's pseudo-frames) */
  bundle: boolean;
}

function summariseProfile(profile: CpuProfile, built: Built): ProfileSummary {
  const map = JSON.parse(readFileSync(built.map, 'utf8')) as { sources: string[]; mappings: string };
  const lines = decodeMappings(map.mappings);
  const paths = map.sources.map((s) => relative(built.source, resolve(dirname(built.map), s)));
  const sources = paths.map(sourceOwner(paths));
  const bundleUrl = pathToFileURL(built.file).href;

  const locate = (line: number, column: number): { file: string; line: number } | undefined => {
    const segs = lines[line];
    if (!segs || segs.length === 0) return undefined;
    let lo = 0;
    let hi = segs.length / 3 - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid * 3]! <= column) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const file = sources[segs[best * 3 + 1]!] ?? '?';
    const nm = file.lastIndexOf('node_modules/');
    return { file: nm > 0 ? file.slice(nm) : file, line: segs[best * 3 + 2]! + 1 };
  };

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Where each node's self time goes: its package, and a function label.
  const attribution = new Map<number, Attribution | null>();
  const attribute = (id: number): Attribution | null => {
    const cached = attribution.get(id);
    if (cached !== undefined) return cached;
    const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
    const fn = functionName || '(anonymous)';
    let result: Attribution | null;
    if (functionName === '(idle)' || functionName === '(root)') result = null;
    else if (functionName === '(garbage collector)' || functionName === '(program)')
      result = { group: functionName, fn, where: '', bundle: false };
    else if (url === bundleUrl) {
      const at = locate(lineNumber, columnNumber);
      result = at
        ? { group: groupOf(at.file), fn, where: `${at.file}:${at.line}`, bundle: true }
        : { group: '(bundle glue, no sourcemap)', fn, where: `worker.mjs:${lineNumber + 1}`, bundle: true };
    } else if (url.startsWith('node:') || url.startsWith('internal/')) {
      result = {
        group: url.includes('undici') ? 'node: undici' : 'node: internal',
        fn,
        where: url,
        bundle: false,
      };
    } else if (url.includes('/bench/') || url.includes('/test/shared/')) {
      const where = relative(ROOT, url.replace('file://', ''));
      result = { group: 'bench harness + fake Neon', fn, where, bundle: false };
    } else if (url) {
      result = { group: url.includes('node_modules/') ? groupOf(url) : url, fn, where: url, bundle: false };
    } else {
      // A V8 builtin or native function (JSON.parse, RegExp, …): charged to its JS caller's package.
      const up = parent.get(id);
      const caller = up === undefined ? null : attribute(up);
      result = caller
        ? { ...caller, fn: `${fn} (native)`, where: `from ${caller.fn} ${caller.where}` }
        : { group: '(native)', fn, where: '', bundle: false };
    }
    attribution.set(id, result);
    return result;
  };
  /** The nearest bundle frame at or above a node: who called into Node's runtime. */
  const bundleOwner = (id: number): string | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const a = attribute(at);
      if (a?.bundle) return a.group;
    }
    return undefined;
  };

  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
  }
  let busy = 0;
  let idle = 0;
  const groups = new Map<string, { self: number; withRuntime: number }>();
  const group = (name: string) => {
    let g = groups.get(name);
    if (!g) {
      g = { self: 0, withRuntime: 0 };
      groups.set(name, g);
    }
    return g;
  };
  const functions = new Map<string, { fn: string; where: string; group: string; us: number }>();
  for (const [id, us] of selfUs) {
    const a = attribute(id);
    if (!a) {
      idle += us;
      continue;
    }
    busy += us;
    group(a.group).self += us;
    const runtime = a.group.startsWith('node: ') ? bundleOwner(id) : undefined;
    group(runtime ?? a.group).withRuntime += us;
    const key = `${a.fn}@${a.where}`;
    const f = functions.get(key) ?? { fn: a.fn, where: a.where, group: a.group, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  const pct = (us: number) => round((100 * us) / busy, 1);
  return {
    busyMs: round(busy / 1000, 1),
    idleMs: round(idle / 1000, 1),
    packages: [...groups]
      .sort((a, b) => b[1].self - a[1].self)
      .map(([name, g]) => ({
        group: name,
        ms: round(g.self / 1000, 1),
        pct: pct(g.self),
        withRuntimeMs: round(g.withRuntime / 1000, 1),
        withRuntimePct: pct(g.withRuntime),
      })),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 15)
      .map((f) => ({ fn: f.fn, where: f.where, group: f.group, ms: round(f.us / 1000, 1), pct: pct(f.us) })),
  };
}

function printProfile(s: ProfileSummary) {
  console.log(
    `\nself time by package (busy ${s.busyMs} ms, idle ${s.idleMs} ms; % of busy). ` +
      'withRuntime: plus the Node runtime code (webcrypto, undici, …) the package called',
  );
  console.table(s.packages.filter((p) => p.pct >= 0.2 || p.withRuntimePct >= 0.2));
  console.log('top 15 functions by self time:');
  console.table(s.functions);
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await runWebhookCpuBench();
}
