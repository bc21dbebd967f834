/** CLI behaviour that needs no server: usage, configuration precedence, prompts without a terminal, exit codes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, runCli } from './support';

beforeAll(async () => {
  await buildCliOnce();
});

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('paywire (offline)', () => {
  it('--help lists the command tree and the exit codes (exit 0)', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of [
      'status',
      'config',
      'webhooks',
      'catalog',
      'subscriptions',
      'history',
      'events',
      'dev',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${command}\\b`));
    }
    expect(r.stdout).toMatch(/Exit codes: 0 ok, 1 .*2 usage.*3 admin key refused, 4 Paywire unreachable/);
    const events = await runCli(['events', '--help']);
    expect(events.stdout).toMatch(/list/);
    expect(events.stdout).toMatch(/show/);
    expect(events.stdout).toMatch(/retry/);
  });

  it('config set without a key and without a terminal says so and exits 2', async () => {
    const r = await runCli(['config', 'set', 'test'], {
      env: { PAYWIRE_URL: 'http://127.0.0.1:9', PAYWIRE_ADMIN_KEY: 'k'.repeat(20) },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No key given and no terminal to prompt on/);
    expect(r.stderr).toMatch(/--key-stdin/);
    expect(r.stdout).toBe('');
  });

  it('config set with --json and no key prints the error as JSON', async () => {
    const r = await runCli(['config', 'set', 'live', '--json'], {
      env: { PAYWIRE_URL: 'http://127.0.0.1:9', PAYWIRE_ADMIN_KEY: 'k'.repeat(20) },
    });
    expect(r.code).toBe(2);
    expect(r.json).toEqual({ error: { code: 'CLI_USAGE', message: expect.stringMatching(/no terminal/) } });
  });

  it('config remove refuses without --yes when there is no terminal to confirm on (exit 2)', async () => {
    const r = await runCli(['config', 'remove', 'test'], {
      env: { PAYWIRE_URL: 'http://127.0.0.1:9', PAYWIRE_ADMIN_KEY: 'k'.repeat(20) },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Refusing without --yes/);
  });

  it('without a URL or admin key: a configuration error naming all three sources (exit 2)', async () => {
    const noUrl = await runCli(['status']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/No Paywire URL: pass --url, set PAYWIRE_URL, or put .* in .*config\.json/);
    const noKey = await runCli(['status', '--json'], { env: { PAYWIRE_URL: 'http://127.0.0.1:9' } });
    expect(noKey.code).toBe(2);
    expect(noKey.json).toEqual({
      error: { code: 'CLI_CONFIG', message: expect.stringMatching(/No admin key/) },
    });
  });

  it('precedence: flags over environment over the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paywire-cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ url: 'https://from-file.example.com', adminKey: 'file-key-0123456789' }),
    );

    const fromFile = await runCli(['config', 'show', '--json'], { env: { PAYWIRE_CONFIG: file } });
    expect(fromFile.code).toBe(0);
    expect(fromFile.json).toEqual({
      url: 'https://from-file.example.com',
      urlSource: 'file',
      adminKey: 'set',
      adminKeySource: 'file',
      configFile: file,
    });
    expect(fromFile.stdout).not.toContain('file-key-0123456789');

    const fromEnv = await runCli(['config', 'show', '--json'], {
      env: { PAYWIRE_CONFIG: file, PAYWIRE_URL: 'https://from-env.example.com' },
    });
    expect(fromEnv.json).toMatchObject({
      url: 'https://from-env.example.com',
      urlSource: 'env',
      adminKeySource: 'file',
    });

    const fromFlags = await runCli(
      [
        '--url',
        'https://from-flag.example.com',
        '--admin-key',
        'flag-key-0123456789',
        'config',
        'show',
        '--json',
      ],
      {
        env: {
          PAYWIRE_CONFIG: file,
          PAYWIRE_URL: 'https://from-env.example.com',
          PAYWIRE_ADMIN_KEY: 'env-key-0123456789',
        },
      },
    );
    expect(fromFlags.json).toMatchObject({
      url: 'https://from-flag.example.com',
      urlSource: 'flag',
      adminKeySource: 'flag',
    });

    // The default location: $XDG_CONFIG_HOME/paywire/config.json
    const human = await runCli(['config', 'show']);
    expect(human.stdout).toMatch(/config file: .*paywire\/config\.json/);
    expect(human.stdout).toMatch(/url:\s+\(not set\) \[none\]/);
  });

  it('a broken config file is a configuration error (exit 2)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'paywire-cfg-')), 'config.json');
    writeFileSync(file, '{ not json');
    const r = await runCli(['status'], { env: { PAYWIRE_CONFIG: file } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not valid JSON/);
    const missing = await runCli(['status'], {
      env: { PAYWIRE_CONFIG: join(tmpdir(), 'nope', 'missing.json') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read the config file/);
  });

  it('an unreachable Paywire exits 4', async () => {
    const port = await deadPort();
    const r = await runCli(['status', '--json'], {
      env: { PAYWIRE_URL: `http://127.0.0.1:${port}`, PAYWIRE_ADMIN_KEY: 'k'.repeat(20) },
    });
    expect(r.code).toBe(4);
    expect(r.json.error.code).toBe('CLI_UNREACHABLE');
    expect(r.stderr).toMatch(/Cannot reach Paywire at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('usage errors exit 2: unknown environment, unknown command, contradictory arguments', async () => {
    const env = { PAYWIRE_URL: 'http://127.0.0.1:9', PAYWIRE_ADMIN_KEY: 'k'.repeat(20) };
    const badEnv = await runCli(['config', 'set', 'staging', 'sk_test_x'], { env });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/Allowed choices are test, live/);
    expect((await runCli(['frobnicate'], { env })).code).toBe(2);
    const retry = await runCli(['events', 'retry', 'evt_1', '--failed'], { env });
    expect(retry.code).toBe(2);
    expect(retry.stderr).toMatch(/Give an event id, or --failed/);
    expect((await runCli(['subscriptions', '--limit', 'many'], { env })).code).toBe(2);
    const trigger = await runCli(['dev', 'trigger', 'checkout.payment'], { env });
    expect(trigger.code).toBe(2);
    expect(trigger.stderr).toMatch(/--stripe-url or set PAYWIRE_STRIPE_URL/);
  });
});
