import { and, eq, inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { z } from 'zod';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';
import { PROJECTED_EVENT_TYPES } from '../projection';
import type { StripeEventLike } from '../projection/stripe-object';
import { ingestEvent } from '../webhooks/ingest-event';
import { type Budget, type CallTally, callStripe, PAGE_SIZE } from './stripe-pages';

/** Stripe keeps events 30 days; a window never reaches further back (with a minute to spare). */
const RETENTION_SECONDS = 30 * 24 * 3600 - 60;
/** Each window starts this much before the last one ended: events listed late are not missed. */
const OVERLAP_SECONDS = 120;
/** `types[]` takes at most 20 types: the projected types are asked in groups. */
const TYPE_GROUPS: string[][] = [];
for (let i = 0; i < PROJECTED_EVENT_TYPES.length; i += 20)
  TYPE_GROUPS.push(PROJECTED_EVENT_TYPES.slice(i, i + 20));

const WindowSchema = z.object({
  gt: z.number().int(),
  lte: z.number().int(),
  group: z.number().int().min(0),
  startingAfter: z.string().nullable(),
});
export const CatchUpStateSchema = z.object({
  /** every event created up to this second was checked */
  until: z.number().int().optional(),
  /** the window being paged when a tick ran out of time */
  pending: WindowSchema.optional(),
});
export type CatchUpState = z.infer<typeof CatchUpStateSchema>;
type Window = z.infer<typeof WindowSchema>;

export interface CatchUpResult {
  state: CatchUpState;
  /** events listed in this tick */
  listed: number;
  /** events not yet recorded, ingested now (source `sync`) */
  ingested: number;
  failed: number;
  complete: boolean;
}

/**
 * Missed-event catch-up: pages `GET /v1/events` (projected types, `created` in the window
 * after the last checked second, at most 30 days back, and never before the connection) and
 * feeds every event id not in webhook_events through `ingestEvent`, like a webhook with
 * source `sync`. A delivery Stripe gave up on (or never made) is thus projected within a tick.
 * The window is resumable: a tick that runs out of time stores where it was.
 */
export async function catchUpEvents(
  ctx: ServiceContext,
  deps: { stripe: Stripe; budget: Budget; tally: CallTally },
  input: { environment: Environment; state: unknown; connectedAt: Date },
): Promise<CatchUpResult> {
  const stored = CatchUpStateSchema.safeParse(input.state);
  const state: CatchUpState = stored.success ? stored.data : {};
  const now = Math.floor(Date.now() / 1000);
  const window: Window = state.pending ?? {
    gt: Math.max(
      (state.until ?? Math.floor(input.connectedAt.getTime() / 1000)) - OVERLAP_SECONDS,
      now - RETENTION_SECONDS,
    ),
    lte: now,
    group: 0,
    startingAfter: null,
  };
  const result: CatchUpResult = { state, listed: 0, ingested: 0, failed: 0, complete: false };
  for (let first = true; window.group < TYPE_GROUPS.length; first = false) {
    if (!first && deps.budget.remaining() < 1_000) {
      result.state = { ...state, pending: window };
      return result;
    }
    const page = await callStripe(deps.budget, deps.tally, (options) =>
      deps.stripe.events.list(
        {
          created: { gt: window.gt, lte: window.lte },
          types: TYPE_GROUPS[window.group]!,
          limit: PAGE_SIZE,
          ...(window.startingAfter ? { starting_after: window.startingAfter } : {}),
        },
        options,
      ),
    );
    result.listed += page.data.length;
    await ingestUnseen(ctx, deps.tally, input.environment, page.data as unknown as StripeEventLike[], result);
    if (page.has_more && page.data.length > 0) window.startingAfter = page.data.at(-1)!.id;
    else Object.assign(window, { group: window.group + 1, startingAfter: null });
  }
  result.state = { until: window.lte };
  result.complete = true;
  return result;
}

async function ingestUnseen(
  ctx: ServiceContext,
  tally: CallTally,
  environment: Environment,
  events: StripeEventLike[],
  result: CatchUpResult,
) {
  if (events.length === 0) return;
  tally.dbRoundTrips++;
  const known = await ctx.db
    .select({ id: webhookEvents.stripeEventId })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.environment, environment),
        inArray(
          webhookEvents.stripeEventId,
          events.map((e) => e.id),
        ),
      ),
    );
  const seen = new Set(known.map((k) => k.id));
  for (const event of events) {
    if (seen.has(event.id)) continue;
    tally.dbRoundTrips++;
    try {
      const outcome = await ingestEvent(ctx, { environment, event, source: 'sync' });
      if (outcome.status === 'failed') result.failed++;
      else result.ingested++;
    } catch (err) {
      // Recorded as failed on the event row (admin retry shows it); the database being down is not.
      if (err instanceof AppError && err.code === 'PROJECTION_FAILED') result.failed++;
      else throw err;
    }
  }
}
