import { readFileSync } from 'node:fs';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import type { Plugin } from 'vite';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { TEST_BINDINGS } from './test/setup/bindings.ts';
import { CiSummaryReporter } from './test/setup/ci-summary-reporter.ts';

/**
 * Projects:
 *   node               dev tools (local Neon endpoint, Stripe emulator, CLI, migrations) under Node
 *   worker-pglite      the Worker in workerd against the local Neon endpoint over PGlite
 *   worker-postgres    the same suites against a real Postgres (only when TEST_DATABASE_URL is set)
 */
const backends: Array<'pglite' | 'postgres'> = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

/** stripe's ESM build points at source maps it does not ship; strip the comment to keep logs quiet. */
function quietStripeSourcemaps(): Plugin {
  return {
    name: 'paywire:quiet-stripe-sourcemaps',
    enforce: 'pre',
    load(id) {
      if (!/node_modules[\\/]stripe[\\/].*\.js$/.test(id)) return null;
      return readFileSync(id.split('?')[0]!, 'utf8').replace(/\/\/# sourceMappingURL=.*$/gm, '');
    },
  };
}

const workerProject = (backend: 'pglite' | 'postgres'): TestProjectInlineConfiguration => ({
  plugins: [
    quietStripeSourcemaps(),
    cloudflareTest(({ inject }) => ({
      main: './src/index.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...TEST_BINDINGS,
          NEON_FETCH_ENDPOINT: inject<string>('neonUrl'),
          STRIPE_API_BASE: inject<string>('stripeUrl'),
          TEST_BACKEND: backend,
          TEST_STRIPE_ACCOUNTS: inject<string>('stripeAccounts'),
        },
      },
    })),
  ],
  test: {
    name: `worker-${backend}`,
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/setup/worker-global-setup.ts'],
    // The fuzz suite's size and seed (env vars do not reach the workers pool): test/worker/fuzz.
    provide: {
      backend,
      fuzzRuns: Number(process.env.FUZZ_RUNS ?? 0) || 0,
      fuzzSeed: process.env.FUZZ_SEED ?? '',
      // Replaying a failing property run (convergence.property.test.ts prints these values).
      propertyRuns: Number(process.env.PAYWIRE_PROPERTY_RUNS ?? 0) || 0,
      propertySeed: process.env.PAYWIRE_PROPERTY_SEED ?? '',
      propertyPath: process.env.PAYWIRE_PROPERTY_PATH ?? '',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

// CI asks for a summary per project with every skipped test (PAYWIRE_TEST_REPORT) to close with.
const report = process.env.PAYWIRE_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ['default', new CiSummaryReporter(report)] : ['default'],
    projects: [
      {
        plugins: [quietStripeSourcemaps()],
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      ...backends.map(workerProject),
    ],
  },
});
