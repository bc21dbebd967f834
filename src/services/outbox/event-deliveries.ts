import type { Db } from '../../db/client';
import { preparedOnce, prepareSql } from '../../db/prepared';
import type { Statement } from '../projection/types';

/**
 * The last statement of a webhook's batch: marks the pending deliveries of this event's outbox
 * messages (written by the fan-out trigger earlier in the same transaction) as handed to the
 * Queue, and returns their ids, so the Worker enqueues them after the commit without another
 * round trip. With no endpoint it is one probe of outbox_env_event_idx.
 */
const statements = preparedOnce((_db: Db) => ({
  markEnqueued: prepareSql<{ environment: string; stripeEventId: string }>(
    `update paywire.hook_deliveries d set enqueued_at = now()
       from paywire.outbox o
      where o.environment = $1 and o.stripe_event_id = $2
        and d.outbox_id = o.id and d.status = 'pending'
      returning d.id`,
    ['environment', 'stripeEventId'],
    { returning: true },
  ),
}));

export function eventDeliveriesStatement(db: Db, environment: string, stripeEventId: string): Statement {
  return statements(db).markEnqueued.bind({ environment, stripeEventId });
}

/** The delivery ids the statement returned (bigint ids arrive as text). */
export function deliveryIds(rows: unknown): number[] {
  return ((rows as Array<{ id: string | number }>) ?? []).map((r) => Number(r.id));
}
