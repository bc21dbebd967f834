/**
 * bench/webhooks: events per second through the Worker (wrangler dev, real workerd) on the
 * local stack, latency percentiles, and how many HTTP requests reach the Neon endpoint per
 * event (target: 1). Events are real-shaped Stripe histories (subscription, payment/refund,
 * catalog lifecycles), signed like Stripe signs them.
 *
 *   npm run bench                       PGlite
 *   DATABASE_URL=postgres://… npm run bench   a real Postgres (set BENCH_CONCURRENCY to race)
 *
 * Prints a table and writes bench/results/webhooks-<backend>.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startLocalStack } from '../dev/stack.ts';
import { catalogLifecycle, paymentLifecycle, subscriptionLifecycle } from '../test/shared/lifecycles.ts';
import type { TestEvent } from '../test/shared/stripe-events.ts';
import { writeBenchResults } from './results.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 600);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SECRET = 'whsec_paywire_bench_0123456789abcdefghijklmnop';

/** Subscription, payment/refund and catalog histories, interleaved, cut to `target` events. */
export function history(target: number): TestEvent[] {
  const events: TestEvent[] = [];
  for (let i = 0; events.length < target; i++) {
    if (i % 3 === 0) {
      events.push(
        ...subscriptionLifecycle({
          renewals: 2,
          pastDueThenRecover: i % 2 === 0,
          cancel: 'at_period_end',
          trialDays: 0,
        }),
      );
    } else if (i % 3 === 1) {
      events.push(...paymentLifecycle({ amount: 5000, refunds: [1000, 4000] }));
    } else {
      events.push(...catalogLifecycle({ edits: 3, archivePrice: true, deleteProduct: false }));
    }
  }
  return events.slice(0, target);
}

async function post(url: string, event: TestEvent): Promise<number> {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
  const started = performance.now();
  const res = await fetch(`${url}/webhooks/stripe/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${event.type} answered ${res.status}`);
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runWebhookBench() {
  const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  const stack = await startLocalStack({
    workerPort: 0,
    stripePort: 0,
    neonPort: 0,
    pgliteDir: backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'paywire-bench-')) : undefined,
    logLevel: 'warn',
    vars: { STRIPE_WEBHOOK_SECRET_TEST: SECRET },
  });
  try {
    // Warm up the isolate (loads the signing secret: the one extra round trip of a cold isolate).
    for (const e of history(20)) await post(stack.workerUrl, e);

    const results: Array<Record<string, number | string>> = [];
    for (const concurrency of [1, CONCURRENCY]) {
      const events = history(EVENTS);
      stack.neon.resetStats();
      const latencies: number[] = [];
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < events.length) {
            const event = events[next++]!;
            latencies.push(await post(stack.workerUrl, event));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const stats = stack.neon.stats();
      latencies.sort((a, b) => a - b);
      results.push({
        backend,
        concurrency,
        events: events.length,
        eventsPerSecond: Number((events.length / seconds).toFixed(1)),
        p50Ms: Number(percentile(latencies, 50).toFixed(1)),
        p95Ms: Number(percentile(latencies, 95).toFixed(1)),
        p99Ms: Number(percentile(latencies, 99).toFixed(1)),
        neonRequestsPerEvent: Number((stats.requests / events.length).toFixed(3)),
        neonStatementsPerEvent: Number((stats.queries / events.length).toFixed(1)),
      });
    }
    console.log(`\nbench/webhooks — ${backend}, ${EVENTS} events per run, through wrangler dev`);
    console.table(results);
    writeBenchResults(`webhooks-${backend}`, { results });
    return results;
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runWebhookBench();
}
