import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

describe('npm run dev:stripe', () => {
  it('--help prints the usage and exits 0 without starting a server', async () => {
    const { stdout } = await run(TSX, ['dev/stripe/cli.ts', '--help'], { cwd: ROOT, timeout: 20_000 });
    expect(stdout).toContain('Usage: npm run dev:stripe -- [options]');
    expect(stdout).toContain('--forward-to <url>');
  });

  it('an unknown option prints the usage on stderr and exits 2', async () => {
    const err = await run(TSX, ['dev/stripe/cli.ts', '--bogus'], { cwd: ROOT, timeout: 20_000 }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage:') });
  });
});
