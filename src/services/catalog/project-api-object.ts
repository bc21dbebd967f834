import type { Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { projectPrice, projectProduct } from '../projection/catalog';
import { num, type StripeEventLike, type StripeObject } from '../projection/stripe-object';
import type { Statement } from '../projection/types';

/**
 * The recency "event id" of a row written from an API answer: `zz_api_read_<read time in ms>`.
 * It sorts after every Stripe event id (`evt_…`) in any collation, so the webhook that Stripe
 * sends for this very write (same second, same state) is a no-op, while any event of a later
 * second still applies; an event of an earlier second can never overwrite the row (the read
 * time is its `source_ts`). The milliseconds order two API writes of one object within the
 * same second (create, then update): the later answer wins.
 */
export const API_READ_MARKER = 'zz_api_read_';

export function apiReadEventId(readAtMs: number): string {
  return `${API_READ_MARKER}${String(Math.max(0, Math.floor(readAtMs))).padStart(15, '0')}`;
}

/**
 * The projection statements for one catalog object as the Stripe API answered it, read at
 * `readAt` (unix seconds): the same projector as its webhook, under a key whose time is the
 * read time. (Single-object counterpart of the sync's API-read upserts.)
 */
export function projectApiObject(
  db: Db,
  environment: Environment,
  kind: 'product' | 'price',
  object: StripeObject,
  readAt: number,
  readAtMs: number = readAt * 1000,
): Statement[] {
  // Stripe's clock may run ahead of ours (the emulator's test clock does): the object's own
  // times are a floor for when it was read.
  const readTs = Math.max(readAt, num(object, 'updated') ?? 0, num(object, 'created') ?? 0);
  const event: StripeEventLike = {
    id: apiReadEventId(readAtMs),
    type: `${kind}.updated`,
    created: readTs,
    livemode: object.livemode === true,
    data: { object },
  };
  const projector = kind === 'product' ? projectProduct : projectPrice;
  return projector({ db, environment, event, object });
}
