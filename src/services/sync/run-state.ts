import { z } from 'zod';
import { API_RESOURCES, type ApiResource } from '../projection/from-api';

/**
 * What a sync run stores between slices (sync_runs.cursor / counts / drift, all jsonb). The
 * shapes are zod schemas so the routes' OpenAPI document and the CLI use the same types.
 */
export const SYNC_RESOURCES = API_RESOURCES;
export type SyncResource = ApiResource;

export const ResourceCursorSchema = z.object({
  /** index into SYNC_RESOURCES of the resource being listed; SYNC_RESOURCES.length = all done */
  resource: z.number().int().min(0),
  /** `starting_after` of the next list page (null: from the newest object) */
  startingAfter: z.string().nullable(),
  /** list pages read of the current resource */
  page: z.number().int().min(0),
  /** consecutive slices that ended in a failure (reset by a slice that makes progress) */
  failures: z.number().int().min(0),
});
export type RunCursor = z.infer<typeof ResourceCursorSchema>;

export const ResourceCountsSchema = z.object({
  seen: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  tombstoned: z.number().int(),
  unchanged: z.number().int(),
  pages: z.number().int(),
  /** database round trips spent writing this resource */
  dbRoundTrips: z.number().int(),
});
export type ResourceCounts = z.infer<typeof ResourceCountsSchema>;

export const RunCountsSchema = z.object({
  resources: z.record(z.string(), ResourceCountsSchema),
  stripeCalls: z.number().int(),
  dbRoundTrips: z.number().int(),
  slices: z.number().int(),
  /** wall time spent in slices, ms (not the time between ticks) */
  durationMs: z.number().int(),
});
export type RunCounts = z.infer<typeof RunCountsSchema>;

/**
 * Rows that differed from Stripe, by what was done: added (missing row inserted), corrected
 * (columns differed), archived (a product/price Stripe archived, a subscription it canceled),
 * removed (gone from Stripe: tombstoned). `sample` names up to 10 Stripe ids.
 */
export const ResourceDriftSchema = z.object({
  added: z.number().int(),
  corrected: z.number().int(),
  archived: z.number().int(),
  removed: z.number().int(),
  sample: z.array(z.string()),
});
export type ResourceDrift = z.infer<typeof ResourceDriftSchema>;
export const RunDriftSchema = z.record(z.string(), ResourceDriftSchema);
export type RunDrift = z.infer<typeof RunDriftSchema>;

export const INITIAL_CURSOR: RunCursor = { resource: 0, startingAfter: null, page: 0, failures: 0 };

export function emptyCounts(): RunCounts {
  return { resources: {}, stripeCalls: 0, dbRoundTrips: 0, slices: 0, durationMs: 0 };
}

export function resourceCounts(counts: RunCounts, resource: SyncResource): ResourceCounts {
  counts.resources[resource] ??= {
    seen: 0,
    inserted: 0,
    updated: 0,
    tombstoned: 0,
    unchanged: 0,
    pages: 0,
    dbRoundTrips: 0,
  };
  return counts.resources[resource];
}

export function resourceDrift(drift: RunDrift, resource: SyncResource): ResourceDrift {
  drift[resource] ??= { added: 0, corrected: 0, archived: 0, removed: 0, sample: [] };
  return drift[resource];
}

/** Reads stored jsonb defensively: a row from an older build (or `{}`) starts fresh. */
export function parseCursor(value: unknown): RunCursor {
  const parsed = ResourceCursorSchema.safeParse(value);
  return parsed.success ? parsed.data : { ...INITIAL_CURSOR };
}

export function parseCounts(value: unknown): RunCounts {
  const parsed = RunCountsSchema.safeParse(value);
  return parsed.success ? parsed.data : emptyCounts();
}

export function parseDrift(value: unknown): RunDrift {
  const parsed = RunDriftSchema.safeParse(value);
  return parsed.success ? parsed.data : {};
}

export function isSyncResource(value: string): value is SyncResource {
  return (SYNC_RESOURCES as readonly string[]).includes(value);
}
