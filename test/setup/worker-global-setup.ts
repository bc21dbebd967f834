/**
 * Node-side setup of the worker-* projects: the local Neon endpoint (PGlite or the real
 * Postgres of TEST_DATABASE_URL), migrated once into a template that every test database is
 * cloned from, and the Stripe emulator in pull mode (the Worker under test does not listen on
 * a port, so tests fetch signed deliveries from the emulator and post them to the Worker), and
 * the collector of the route × status coverage check (test/worker/support/openapi-coverage-check.ts).
 */
import type { TestProject } from 'vitest/node';
import { migrate } from '../../dev/db/migrate';
import { startHookSink } from '../../dev/hooks/sink';
import { startNeonEndpoint } from '../../dev/neon/index';
import { startStripeEmulator } from '../../dev/stripe/index';
import { startFuzzReportSink } from '../worker/fuzz/report-sink';
import { startOpenApiCoverage } from '../worker/support/openapi-coverage-check';

export default async function setup(project: TestProject) {
  const backend = project.name.endsWith('postgres') ? 'postgres' : 'pglite';
  const neon = await startNeonEndpoint({
    port: 0,
    backend:
      backend === 'postgres' ? { kind: 'postgres', url: process.env.TEST_DATABASE_URL! } : { kind: 'pglite' },
    isolate: true,
    initDatabase: async (db) => {
      await migrate(db);
    },
  });
  const stripe = await startStripeEmulator({
    port: 0,
    deliveryMode: 'pull',
    retrySchedule: [50, 100, 200],
    accounts: [
      { id: 'acct_paywire_a', name: 'Paywire Test A' },
      { id: 'acct_paywire_b', name: 'Paywire Test B' },
    ],
  });
  project.provide('backend', backend);
  project.provide('neonUrl', neon.url);
  project.provide('stripeUrl', stripe.url);
  project.provide('stripeAccounts', JSON.stringify(stripe.accounts));
  // The app side of hook deliveries (dev/hooks/sink.ts): records and verifies what the consumer POSTs.
  const hookSink = await startHookSink();
  project.provide('hookSinkUrl', hookSink.url);
  // Fuzz report sink: the fuzz tests post their tables; written to FUZZ_REPORT (npm run fuzz) only.
  const fuzzReport = await startFuzzReportSink({ backend, outFile: process.env.FUZZ_REPORT });
  project.provide('fuzzReportUrl', fuzzReport.url);
  // Route × status coverage of /openapi.json: collected from every test file, checked after a full run.
  const coverage = await startOpenApiCoverage(project);
  project.provide('openapiCoverageUrl', coverage.url);
  return async () => {
    await fuzzReport.close();
    await hookSink.close();
    await stripe.close();
    await neon.close();
    // Last: its check may throw (failing the run), which must not leave the servers running.
    await coverage.close();
  };
}
