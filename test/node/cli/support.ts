/**
 * Running the built `paywire` binary in tests: esbuild bundles src/cli once per test file (the
 * same build as `npm run build:cli`), and every call spawns `node <bundle> …` with a clean
 * environment and no terminal (stdin is a pipe), then returns stdout, stderr and the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { neon, neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll } from 'vitest';
import { buildCli } from '../../../dev/build-cli';
import type { LocalStack } from '../../../dev/stack';
import { startQuietStack } from '../local-stack';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

let built: Promise<string> | undefined;
export function buildCliOnce(): Promise<string> {
  built ??= buildCli(join(mkdtempSync(join(tmpdir(), 'paywire-cli-')), 'paywire.js'));
  return built;
}

/** What every call in this file printed (stdout and stderr; not its arguments), for secret scans. */
export const transcript: string[] = [];

export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const bin = await buildCliOnce();
  const home = mkdtempSync(join(tmpdir(), 'paywire-home-'));
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      NO_COLOR: '1',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paywire ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  transcript.push(`${stdout}\n${stderr}`);
  let json: unknown = null;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : null;
  } catch {
    json = null;
  }
  return { code, stdout, stderr, json };
}

/**
 * For one test file: the local stack (wrangler dev, Stripe emulator, local Neon endpoint on a
 * PGlite directory of its own) and the built CLI, started before its tests and stopped after.
 * `setup` runs once the stack is up (connect an environment, seed the emulator…).
 */
export function useCliStack(label: string, setup?: (stack: LocalStack) => Promise<void>) {
  let stack: LocalStack | undefined;
  let dir: string | undefined;
  let env: Record<string, string> = {};
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `paywire-${label}-`));
    [stack] = await Promise.all([startQuietStack(dir), buildCliOnce()]);
    env = { PAYWIRE_URL: stack.workerUrl, PAYWIRE_ADMIN_KEY: stack.adminKey };
    await setup?.(stack);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const started = (): LocalStack => {
    if (!stack) throw new Error('the local stack is not started (use it inside a test)');
    return stack;
  };
  return {
    get stack(): LocalStack {
      return started();
    },
    /** PAYWIRE_URL and PAYWIRE_ADMIN_KEY of the stack */
    get env(): Record<string, string> {
      return env;
    },
    cli: (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
      runCli(args, { ...options, env: { ...env, ...options.env } }),
    /** SQL on the stack's database, through its local Neon endpoint */
    sql: () => {
      neonConfig.fetchEndpoint = started().neonUrl;
      return neon('postgresql://paywire:paywire@localhost/paywire');
    },
  };
}
