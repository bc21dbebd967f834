import { z } from '@hono/zod-openapi';
import type { SyncRunView } from '../../services/sync/sync-runs';

const Counts = z.object({
  seen: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  tombstoned: z.number().int(),
  unchanged: z.number().int(),
  pages: z.number().int(),
  dbRoundTrips: z.number().int(),
});

const Drift = z.object({
  added: z.number().int().describe('missing rows inserted'),
  corrected: z.number().int().describe('rows whose columns differed from Stripe'),
  archived: z.number().int().describe('products/prices Stripe archived, subscriptions it canceled'),
  removed: z.number().int().describe('rows of objects gone from Stripe (tombstoned)'),
  sample: z.array(z.string()).describe('up to 10 Stripe ids'),
});

export const SyncRun = z
  .object({
    id: z.uuid(),
    environment: z.enum(['test', 'live']),
    kind: z.string().describe('full (connection change or POST /sync) | cron (periodic repair)'),
    status: z.string().describe('requested | running | completed | failed | canceled'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    progress: z.object({
      resource: z
        .string()
        .nullable()
        .describe('products | prices | customers | subscriptions, null when done'),
      resourcesDone: z.number().int(),
      resourcesTotal: z.number().int(),
      page: z.number().int().describe('list pages read of the current resource'),
      failures: z.number().int().describe('slices in a row that failed'),
    }),
    counts: z.object({
      resources: z.record(z.string(), Counts),
      stripeCalls: z.number().int(),
      dbRoundTrips: z.number().int(),
      slices: z.number().int(),
      durationMs: z.number().int(),
    }),
    drift: z.record(z.string(), Drift),
  })
  .openapi('SyncRun');

export function syncRunBody(run: SyncRunView): z.infer<typeof SyncRun> {
  return {
    ...run,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

export const SyncRunIdParam = z
  .uuid()
  .openapi({ param: { name: 'id', in: 'path' }, example: '0b9e4c1e-8c1f-4a57-9d55-5f7f6f1d2c3b' });
