/**
 * bench/checkout: Checkout sessions created per second through the Worker (wrangler dev, real
 * workerd) against the Stripe emulator and the local Neon endpoint, and Neon round trips per
 * session (target: ≤ 2 before the Stripe call, ≤ 1 after; the code does 1 + 1). Two runs: first
 * checkouts (each a new subject: the Stripe customer is created too) and repeat checkouts (the
 * subject's customer is mapped).
 *
 *   npm run bench                              PGlite
 *   DATABASE_URL=postgres://… npm run bench    a real Postgres (BENCH_CONCURRENCY to race)
 *
 * Prints a table and writes bench/results/checkout-<backend>.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import Stripe from 'stripe';
import { DEV_SECRETS, startLocalStack } from '../dev/stack.ts';
import { createEmulatorControl } from '../dev/stripe/control-client.ts';
import { writeBenchResults } from './results.ts';

const SESSIONS = Number(process.env.BENCH_CHECKOUTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

const token = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(DEV_SECRETS.JWT_SECRET));

async function checkout(url: string, user: string, price: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/test/checkout-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(user)}` },
    body: JSON.stringify({
      mode: 'payment',
      lineItems: [{ price }],
      successUrl: 'https://app.example/ok',
      cancelUrl: 'https://app.example/cancel',
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`checkout answered ${res.status}: ${text.slice(0, 300)}`);
  return performance.now() - started;
}

/** Connects the test environment to the emulator and projects one price (via the managed endpoint). */
async function prepare(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<string> {
  const key = stack.stripeAccounts[0]!.testSecretKey;
  const admin = (method: string, path: string, body: unknown) =>
    fetch(`${stack.workerUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
      body: JSON.stringify(body),
    });
  const connected = await admin('PUT', '/admin/v1/test/connection', { secretKey: key });
  if (connected.status !== 200) throw new Error(`connect answered ${connected.status}`);
  const endpoint = await admin('POST', '/admin/v1/test/webhook-endpoint', {});
  if (endpoint.status !== 200) throw new Error(`webhook endpoint answered ${endpoint.status}`);
  const base = new URL(stack.stripeUrl);
  const stripe = new Stripe(key, { host: base.hostname, port: base.port, protocol: 'http' });
  const product = await stripe.products.create({ name: 'Bench credits' });
  const price = await stripe.prices.create({ product: product.id, unit_amount: 500, currency: 'usd' });
  // Wait for the price.created delivery to be projected (the runtime route reads prices from Postgres).
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${stack.workerUrl}/admin/v1/test/prices?limit=100`, {
      headers: { authorization: `Bearer ${stack.adminKey}` },
    });
    const page = (await res.json()) as { data?: Array<{ stripePriceId?: string; id?: string }> };
    if (page.data?.some((p) => p.stripePriceId === price.id || p.id === price.id)) {
      // From here on deliveries wait (pull mode): Neon counts only the checkout path itself.
      const control = createEmulatorControl({ url: stack.stripeUrl, secretKey: key });
      for (const e of (await stripe.webhookEndpoints.list()).data)
        await control.setEndpointMode(e.id, 'pull');
      return price.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`price ${price.id} was not projected`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runCheckoutBench() {
  const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  const stack = await startLocalStack({
    workerPort: 0,
    stripePort: 0,
    neonPort: 0,
    pgliteDir: backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'paywire-bench-')) : undefined,
    logLevel: 'warn',
    // the per-IP limit (60/min) would cap the figure: every request comes from 127.0.0.1
    vars: { PAYWIRE_RATE_LIMITS: 'off' },
  });
  try {
    const price = await prepare(stack);
    const run = `${Date.now().toString(36)}`;
    for (let i = 0; i < 5; i++) await checkout(stack.workerUrl, `warm_${run}_${i}`, price);
    const results: Array<Record<string, number | string>> = [];
    for (const kind of ['first', 'repeat'] as const) {
      for (const concurrency of [1, CONCURRENCY]) {
        // repeat: the same few users again (customer mapped), within the per-user rate limit
        const users = Array.from({ length: SESSIONS }, (_, i) =>
          kind === 'first' ? `u_${run}_${concurrency}_${i}` : `u_${run}_1_${i % 100}`,
        );
        stack.neon.resetStats();
        const latencies: number[] = [];
        const started = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < users.length)
              latencies.push(await checkout(stack.workerUrl, users[next++]!, price));
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const stats = stack.neon.stats();
        latencies.sort((a, b) => a - b);
        results.push({
          backend,
          kind,
          concurrency,
          sessions: users.length,
          sessionsPerSecond: Number((users.length / seconds).toFixed(1)),
          p50Ms: Number(percentile(latencies, 50).toFixed(1)),
          p95Ms: Number(percentile(latencies, 95).toFixed(1)),
          neonRequestsPerSession: Number((stats.requests / users.length).toFixed(2)),
        });
      }
    }
    console.log(`\nbench/checkout — ${backend}, ${SESSIONS} sessions per run, through wrangler dev`);
    console.table(results);
    writeBenchResults(`checkout-${backend}`, { results });
    return results;
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCheckoutBench();
}
