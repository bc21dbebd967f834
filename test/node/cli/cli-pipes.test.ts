/**
 * `paywire catalog | head -3`: when the reader of stdout goes away, the CLI ends quietly with
 * status 0, as Unix tools do, instead of crashing on an unhandled EPIPE. The built binary runs
 * against a fake admin API on loopback that serves a catalog far larger than a pipe buffer
 * (64 KiB), so the CLI is certainly still writing when the reader closes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce } from './support';

const ADMIN_KEY = 'pipe-test-admin-key-0123456789';
const PRODUCTS = 3000;

let server: Server;
let url: string;

beforeAll(async () => {
  const products = Array.from({ length: PRODUCTS }, (_, i) => ({
    id: `prod_pipe${i}`,
    name: `Product number ${i} with a reasonably long name`,
    description: null,
    active: true,
    defaultPriceId: null,
    metadata: {},
    created: 1_790_000_000 + i,
    deleted: false,
    updatedAt: '2026-11-23T10:00:00.000Z',
  }));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${ADMIN_KEY}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'no key' } }));
    } else if (path === '/admin/v1/test/products') {
      res.end(JSON.stringify({ data: products, nextCursor: null }));
    } else if (path === '/admin/v1/test/prices') {
      res.end(JSON.stringify({ data: [], nextCursor: null }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: path } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await buildCliOnce();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function cliEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'paywire-home-'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    NO_COLOR: '1',
    PAYWIRE_URL: url,
    PAYWIRE_ADMIN_KEY: ADMIN_KEY,
  };
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstLine: string;
  stderr: string;
}

/** Runs the CLI with stdout read by a reader that closes the pipe after the first line. */
async function runUntilFirstLine(args: string[]): Promise<Ended> {
  const bin = await buildCliOnce();
  const child = spawn(process.execPath, [bin, ...args], {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  let seen = '';
  const firstLine = new Promise<string>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString('utf8');
      const nl = seen.indexOf('\n');
      if (nl >= 0) {
        // The reader has what it wants and goes away: the pipe's read end closes.
        child.stdout.destroy();
        resolve(seen.slice(0, nl));
      }
    });
  });
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`paywire ${args.join(' ')} did not end\n${stderr}`));
      }, 20_000);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    },
  );
  return { ...ended, firstLine: await firstLine, stderr };
}

describe('paywire with a closed stdout', () => {
  it('catalog: the reader closes after the first line → exit 0, nothing on stderr', async () => {
    const r = await runUntilFirstLine(['catalog']);
    expect(r.firstLine).toMatch(/^PRODUCT\s+ID\s+PRICE\s+AMOUNT\s+LOOKUP KEY$/);
    expect(r.stderr).toBe('');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });

  it('catalog --json (one large write): exit 0, nothing on stderr', async () => {
    const r = await runUntilFirstLine(['catalog', '--json']);
    expect(r.firstLine).toBe('{');
    expect(r.stderr).toBe('');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });

  it('`paywire catalog | head -3` in a shell with pipefail: three lines, status 0, no stack trace', async () => {
    const bin = await buildCliOnce();
    const child = spawn(
      'bash',
      ['-c', 'set -o pipefail; "$NODE" "$BIN" catalog | head -3; echo "status=$?" >&2'],
      { env: { ...cliEnv(), NODE: process.execPath, BIN: bin }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    await new Promise((resolve) => child.once('close', resolve));
    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(/^PRODUCT/),
      expect.stringMatching(/prod_pipe0\b/),
      expect.stringMatching(/prod_pipe1\b/),
      '',
    ]);
    expect(stderr).toBe('status=0\n');
  });

  it('a full read still gets every row (the handler changes nothing for a reader that stays)', async () => {
    const bin = await buildCliOnce();
    const child = spawn(process.execPath, [bin, 'catalog'], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(PRODUCTS + 1);
  });
});
