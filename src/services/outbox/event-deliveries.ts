import type { Db } from '../../db/client';
import { preparedOnce, prepareSql } from '../../db/prepared';
import type { Statement } from '../projection/types';

/**
 * The last statement of a webhook's batch: marks the deliveries the fan-out trigger wrote earlier
 * in this same transaction as handed to the Queue, and returns their ids, so the Worker enqueues
 * them after the commit without another round trip.
 *
 * "Written in this transaction" is `next_attempt_at = now()` (the column's default is the
 * transaction's timestamp) and `enqueued_at is null`: one probe of hook_deliveries_env_status_idx.
 * Unlike a lookup by the event's id (outbox.stripe_event_id), it also finds messages this event
 * released for ANOTHER event (a fact held back until the customer's subject mapping arrived is
 * emitted with its own event's id). A row of a concurrent transaction with the very same
 * microsecond would at worst be enqueued twice, which the consumer absorbs.
 */
const statements = preparedOnce((_db: Db) => ({
  markEnqueued: prepareSql<{ environment: string }>(
    `update paywire.hook_deliveries set enqueued_at = now()
      where environment = $1 and status = 'pending' and next_attempt_at = now() and enqueued_at is null
      returning id`,
    ['environment'],
    { returning: true },
  ),
}));

export function transactionDeliveriesStatement(db: Db, environment: string): Statement {
  return statements(db).markEnqueued.bind({ environment });
}

/** The delivery ids the statement returned (bigint ids arrive as text). */
export function deliveryIds(rows: unknown): number[] {
  return ((rows as Array<{ id: string | number }>) ?? []).map((r) => Number(r.id));
}
