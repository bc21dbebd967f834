/**
 * `npm run dev:db` (dev/neon/cli.ts): starts on PGlite in a data dir, applies the migrations,
 * serves the driver, and stops cleanly on SIGINT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { neon, neonConfig } from '@neondatabase/serverless';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionString } from './helpers.ts';

describe('npm run dev:db', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywire-dev-db-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts migrated, serves the driver, stops on SIGINT', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'dev/neon/cli.ts', '--port', '0', '--data-dir', dir],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 90 s:\n${output}`)), 45_000);
      child!.stdout?.on('data', (d) => {
        output += d;
        const m = /Local Neon endpoint ready: (\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child!.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    expect(output).toMatch(/Applied migrations: 0000_/);

    neonConfig.fetchEndpoint = url;
    const [row] = await neon(
      connectionString('paywire'),
    )`select count(*)::int as c from drizzle.__drizzle_migrations`;
    expect(row?.c).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  }, 120_000);
});
