/**
 * `paywire sync` against the real local stack (wrangler dev + Stripe emulator + local Neon on
 * a fresh PGlite directory): --wait follows the queued pass to its end and prints the drift
 * table, --json prints the run as the API returned it, a second sync finds no drift, and
 * `paywire status` then reports the last repair. Outputs are scanned for secrets.
 */
import { describe, expect, it } from 'vitest';
import { useCliStack } from './support';

let testKey: string;

const local = useCliStack('cli-sync', async (stack) => {
  testKey = stack.stripeAccounts[0]!.testSecretKey;
  const seed = await fetch(`${stack.stripeUrl}/_emulator/seed`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ products: 7, prices: 9, customers: 5, subscriptions: 4 }),
  });
  expect(seed.status).toBe(200);
  const res = await fetch(`${stack.workerUrl}/admin/v1/test/connection`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secretKey: testKey }),
  });
  expect(res.status, await res.text()).toBe(200);
});

async function cli(args: string[]) {
  const r = await local.cli(args, { timeoutMs: 60_000 });
  const printed = `${r.stdout}\n${r.stderr}`;
  for (const [name, secret] of Object.entries({ testKey, adminKey: local.stack.adminKey }))
    expect(printed.includes(secret), `paywire ${args.join(' ')} printed ${name}`).toBe(false);
  return r;
}

describe('paywire sync', () => {
  it('--wait --json joins the queued pass and prints the completed run', async () => {
    const r = await cli(['sync', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      environment: 'test',
      kind: 'full',
      status: 'completed',
      counts: { resources: { products: { seen: 7, inserted: 7 }, subscriptions: { seen: 4, inserted: 4 } } },
      drift: { prices: { added: 9 } },
    });
  }, 90_000);

  it('--wait prints the drift table; an unchanged account shows nothing added or corrected', async () => {
    const r = await cli(['sync', '-e', 'test', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sync run [0-9a-f-]{36}: completed/);
    expect(r.stdout).toMatch(/RESOURCE\s+SEEN\s+UNCHANGED\s+ADDED\s+CORRECTED\s+ARCHIVED\s+REMOVED/);
    expect(r.stdout).toMatch(/products\s+7\s+7\s+0\s+0\s+0\s+0/);
    expect(r.stdout).toMatch(/subscriptions\s+4\s+4\s+0\s+0\s+0\s+0/);
  }, 90_000);

  it('status reports the last repair; sync on an unconnected environment exits 1', async () => {
    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/last repair:\s+\d+s ago: no drift/);
    const live = await cli(['sync', '-e', 'live']);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/NOT_CONNECTED|not connected/i);
  }, 60_000);
});
