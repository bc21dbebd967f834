declare module 'vitest' {
  export interface ProvidedContext {
    backend: 'pglite' | 'postgres';
    neonUrl: string;
    stripeUrl: string;
    /** JSON: EmulatorAccountKeys[] */
    stripeAccounts: string;
    /** loopback receiver of hook deliveries (dev/hooks/sink.ts): POST /hooks/<name>, control under /_sink */
    hookSinkUrl: string;
    /** Fuzz suite (test/worker/fuzz): target number of requests (0 = the small default), seed ('' = random) */
    fuzzRuns: number;
    fuzzSeed: string;
    /** loopback endpoint of the fuzz report sink (test/worker/fuzz/report-sink.ts) */
    fuzzReportUrl: string;
    /** loopback endpoint of the route × status coverage collector (test/worker/support/openapi-coverage-check.ts) */
    openapiCoverageUrl: string;
    /** Property tests: runs (0 = the test's default), seed and path of a run to replay ('' = random) */
    propertyRuns: number;
    propertySeed: string;
    propertyPath: string;
  }
}

export {};
