/**
 * The contract between the head-to-head webhook benchmark (bench/compare/run.ts) and each system
 * it drives (bench/compare/paywire.ts, bench/compare/sync-engine.ts). A system is started on its
 * own, freshly created database; the runner posts the same signed corpus to `webhookUrl` and
 * reads CPU time of `serverPids()` from /proc.
 */

/** Canonical, sorted rows of comparable fields, per resource (e.g. `products`, `subscriptions`). */
export interface FinalState {
  [resource: string]: unknown[];
}

export interface BenchSystem {
  name: string;
  /** POST signed events here (keep-alive HTTP). */
  webhookUrl: string;
  /** whsec_… the corpus is signed with for this system. */
  signingSecret: string;
  /** OS pids whose CPU time (/proc/<pid>/stat utime+stime) counts as the server. */
  serverPids(): number[];
  /**
   * Optional split of serverPids() into named parts (e.g. { worker: [...], endpoint: [...] }),
   * reported separately; the parts' union should equal serverPids().
   */
  serverPidGroups?(): Record<string, number[]>;
  /**
   * Optional database round-trip counter of the system's own (Paywire: the local Neon endpoint's
   * HTTP requests and statements). Cumulative; the runner takes differences.
   */
  roundTrips?(): Promise<{ roundTrips: number; statements: number }>;
  /**
   * Optional cost floors: requests the runner sends (3,000 at concurrency 8) to report server CPU
   * per request without the webhook work (e.g. a 404, a health check with one database round
   * trip, a delivery with a bad signature).
   */
  floors?: FloorRequest[];
  /** Empty this system's tables (the runner runs CHECKPOINT after). */
  reset(): Promise<void>;
  finalState(): Promise<FinalState>;
  close(): Promise<void>;
}

export interface FloorRequest {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface StartOptions {
  /** A fresh, empty database created by the runner for this system (dropped at the end). */
  databaseUrl: string;
  /** Loopback stand-in for api.stripe.com (the dev/stripe emulator), e.g. http://127.0.0.1:12111. */
  stripeApiUrl: string;
  log?: (l: string) => void;
}

/** Starts one system. */
export type StartSystem = (opts: StartOptions) => Promise<BenchSystem>;
