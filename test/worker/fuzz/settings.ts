/**
 * Size and seed of a fuzz run. The numbers come from the Node side through vitest's
 * provide/inject (vitest.config.ts): FUZZ_RUNS is the target number of fuzz requests over both
 * suites (0 or unset: the small default of `npm test`), FUZZ_SEED replays a run.
 */
/// <reference path="../../setup/provided.d.ts" />
import { inject } from 'vitest';

/** The default in `npm test`: every (route × auth × mutation kind) cell once, and 80 signed events. */
export const DEFAULT_RUNS = 400;
/** Share of the requests that go to the signed-webhook suite. */
export const WEBHOOK_SHARE = 0.2;

export interface FuzzSettings {
  runs: number;
  seed: number;
  /** a full run (`npm run fuzz`) rather than the small default */
  full: boolean;
  reportUrl: string;
  replay: string;
}

export function fuzzSettings(): FuzzSettings {
  const requested = inject('fuzzRuns');
  const seedText = inject('fuzzSeed');
  if (seedText && !/^-?\d{1,10}$/.test(seedText))
    throw new Error(`FUZZ_SEED must be an integer, got ${seedText}`);
  const seed = seedText ? Number(seedText) | 0 : (Math.floor(Math.random() * 2 ** 31) ^ Date.now()) | 0;
  const runs = requested > 0 ? requested : DEFAULT_RUNS;
  return {
    runs,
    seed,
    full: requested > 0,
    reportUrl: inject('fuzzReportUrl'),
    replay: `FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npx vitest run --project worker-pglite test/worker/fuzz`,
  };
}

/** A seed of its own for one generator cell (FNV-1a of the run seed and the cell's key). */
export function cellSeed(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
