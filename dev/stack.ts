/**
 * The local stack: the local Neon endpoint (PGlite, or a real Postgres via DATABASE_URL), the
 * Stripe emulator (push mode: it POSTs webhooks to the Worker) and `wrangler dev` running the
 * Worker against both. Used by `npm run dev` (dev/run.ts) and the CLI tests.
 *
 * The Worker's secrets are FIXED DEV-ONLY VALUES (DEV_SECRETS): printed on start, never meant
 * for a deployment. They reach wrangler through a generated env file (--env-file, mode 0600, in
 * a temporary directory), so the developer's own .dev.vars is neither read nor written.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from './db/migrate.ts';
import { type NeonEndpoint, startNeonEndpoint } from './neon/index.ts';
import { type EmulatorAccountKeys, type StripeEmulator, startStripeEmulator } from './stripe/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Dev-only secrets (never use them for a deployment). */
export const DEV_SECRETS = {
  ADMIN_API_KEY: 'paywire-dev-admin-key-0000000000',
  /** base64 of the 32 ASCII bytes "paywire-dev-only-encryption-key!" */
  PAYWIRE_ENCRYPTION_KEY: `v1:${Buffer.from('paywire-dev-only-encryption-key!').toString('base64')}`,
  JWT_SECRET: 'paywire-dev-jwt-secret-0000000000000000000000',
  /** The Worker's DATABASE_URL: a placeholder, the local Neon endpoint decides which database answers. */
  DATABASE_URL: 'postgresql://paywire:paywire@localhost/paywire',
} as const;

export interface StackOptions {
  /** Worker port (default 8787; 0 = a free port). */
  workerPort?: number;
  /** Stripe emulator port (default 12111; 0 = a free port). */
  stripePort?: number;
  /** Local Neon endpoint port (default 4444; 0 = a free port). */
  neonPort?: number;
  /** PGlite data directory (default .paywire/pglite). Ignored when databaseUrl is set. */
  pgliteDir?: string;
  /** A real Postgres instead of PGlite (default: process.env.DATABASE_URL). */
  databaseUrl?: string;
  /** Emulator accounts (default: one, acct_paywire_dev). */
  stripeAccounts?: Array<{ id?: string; name?: string }>;
  /** Worker LOG_LEVEL (default info). */
  logLevel?: string;
  /** Extra Worker bindings (e.g. STRIPE_WEBHOOK_SECRET_TEST); written to the env file, not argv. */
  vars?: Record<string, string>;
  /** Lines from the stack and the Worker (default: dropped). */
  log?: (line: string) => void;
  /** How long to wait for the Worker's /healthz (default 60 s). */
  startTimeoutMs?: number;
}

export interface LocalStack {
  workerUrl: string;
  stripeUrl: string;
  neonUrl: string;
  adminKey: string;
  stripeAccounts: EmulatorAccountKeys[];
  /** Where the data lives (PGlite dir or Postgres host/db). */
  database: string;
  neon: NeonEndpoint;
  stripe: StripeEmulator;
  /** Stops wrangler (its whole process group), the emulator and the endpoint. Safe to call twice. */
  stop(): Promise<void>;
}

/** The endpoint in dev mode on PGlite or the given Postgres, migrated at start; per-query "ok" lines muted. */
function startLocalNeon(
  port: number,
  databaseUrl: string | undefined,
  pgliteDir: string,
  log: (line: string) => void,
): Promise<NeonEndpoint> {
  return startNeonEndpoint({
    port,
    backend: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: pgliteDir },
    isolate: false,
    initDatabase: async (db) => {
      const { applied } = await migrate(db);
      log(`[neon] ${applied.length ? `applied migrations: ${applied.join(', ')}` : 'migrations up to date'}`);
    },
    log: (line) => {
      if (!/ ok \d+ ms$/.test(line)) log(`[neon] ${line}`);
    },
  });
}

/** The Worker's secrets go in a 0600 file, never on the command line. Returns its path. */
function writeWorkerEnvFile(secretsDir: string, vars: Record<string, string> | undefined): string {
  const envFile = join(secretsDir, 'worker.env');
  writeFileSync(
    envFile,
    Object.entries({ ...DEV_SECRETS, ...vars })
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n'),
    { mode: 0o600 },
  );
  return envFile;
}

interface WranglerArgs {
  workerPort: number;
  inspectorPort: number;
  secretsDir: string;
  envFile: string;
  neonUrl: string;
  stripeUrl: string;
  workerUrl: string;
  logLevel: string;
}

function spawnWranglerDev(a: WranglerArgs): ChildProcess {
  return spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'),
      'dev',
      '--port',
      String(a.workerPort),
      '--ip',
      '127.0.0.1',
      '--inspector-port',
      String(a.inspectorPort),
      '--persist-to',
      join(a.secretsDir, 'state'),
      '--test-scheduled',
      '--show-interactive-dev-session=false',
      '--env-file',
      a.envFile,
      '--var',
      `NEON_FETCH_ENDPOINT:${a.neonUrl}`,
      '--var',
      `STRIPE_API_BASE:${a.stripeUrl}`,
      '--var',
      `PAYWIRE_PUBLIC_URL:${a.workerUrl}`,
      '--var',
      `LOG_LEVEL:${a.logLevel}`,
    ],
    {
      cwd: ROOT,
      detached: true, // its own process group, so stop() reaches workerd too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        FORCE_COLOR: '0',
        CI: process.env.CI ?? '1',
      },
    },
  );
}

/** Logs the child's lines and keeps the last 200 for the error when it does not come up. */
function collectOutput(child: ChildProcess, log: (line: string) => void): string[] {
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      log(`[worker] ${line}`);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return output;
}

export async function startLocalStack(opts: StackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => {});
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  const pgliteDir = resolve(opts.pgliteDir ?? join(ROOT, '.paywire', 'pglite'));
  if (!databaseUrl) mkdirSync(pgliteDir, { recursive: true });
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        log(`[stack] stop: ${(err as Error).message}`);
      }
    }
  };

  try {
    // Ports first, so the database, the emulator and wrangler can all start at once (PGlite's
    // first start and wrangler's bundling are the slow parts, ~10-15 s each).
    const [neonPort, stripePort, workerPort, inspectorPort] = await Promise.all([
      portOrFree(opts.neonPort ?? 4444),
      portOrFree(opts.stripePort ?? 12111),
      portOrFree(opts.workerPort ?? 8787),
      portOrFree(0),
    ]);
    const neonUrl = `http://127.0.0.1:${neonPort}/sql`;
    const stripeUrl = `http://127.0.0.1:${stripePort}`;
    const neonStarted = startLocalNeon(neonPort, databaseUrl, pgliteDir, log);
    neonStarted.then((n) => cleanups.push(() => n.close())).catch(() => {});
    const stripeStarted = startStripeEmulator({
      port: stripePort,
      deliveryMode: 'push',
      accounts: opts.stripeAccounts,
    });
    stripeStarted.then((e) => cleanups.push(() => e.close())).catch(() => {});

    const workerUrl = `http://127.0.0.1:${workerPort}`;
    const secretsDir = mkdtempSync(join(tmpdir(), 'paywire-dev-'));
    cleanups.push(() => rmSync(secretsDir, { recursive: true, force: true }));
    const envFile = writeWorkerEnvFile(secretsDir, opts.vars);
    const child = spawnWranglerDev({
      workerPort,
      inspectorPort,
      secretsDir,
      envFile,
      neonUrl,
      stripeUrl,
      workerUrl,
      logLevel: opts.logLevel ?? 'info',
    });
    const output = collectOutput(child, log);
    cleanups.push(() => killGroup(child));

    const [neon, stripe] = await Promise.all([neonStarted, stripeStarted]);
    await waitForHealth(workerUrl, child, opts.startTimeoutMs ?? 60_000, output);
    log(`[stack] worker ready at ${workerUrl}`);

    return {
      workerUrl,
      stripeUrl: stripe.url,
      neonUrl: neon.url,
      adminKey: DEV_SECRETS.ADMIN_API_KEY,
      stripeAccounts: stripe.accounts,
      database: databaseUrl
        ? `postgres ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}`
        : pgliteDir,
      neon,
      stripe,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `port`, or a free one when 0. */
async function portOrFree(port: number): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  output: string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}):\n${output.slice(-30).join('\n')}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `The Worker did not answer ${url}/healthz within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`,
  );
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
