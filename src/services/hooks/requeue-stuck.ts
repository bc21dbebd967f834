import { sql } from 'drizzle-orm';
import { ENVIRONMENTS, type Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { enqueueDeliveries } from '../outbox/queue';

/** A pending delivery due this long ago and not handed to the Queue since is taken as lost. */
export const STUCK_AFTER_MINUTES = 5;
/** At most this many per environment and tick. */
const REQUEUE_LIMIT = 1000;

/**
 * The cron tick's hand-over and safety net, for enabled endpoints:
 * - pending deliveries never handed to the Queue (`enqueued_at` null: messages written outside a
 *   webhook batch, by the sync or the alert checks; an endpoint enabled again) are enqueued now;
 * - pending deliveries whose attempt was due more than a few minutes ago and that were not
 *   enqueued since (a sendBatch that failed after the commit, a message the Queue dropped) go
 *   back to the Queue.
 * Dead deliveries are never revived here. Nothing happens without the Queue binding.
 */
export async function requeueStuckDeliveries(ctx: ServiceContext): Promise<Record<Environment, number>> {
  const counts = { test: 0, live: 0 } as Record<Environment, number>;
  if (!ctx.outboxQueue) return counts;
  for (const environment of ENVIRONMENTS) {
    const result = await dbCall('requeue stuck hook deliveries', () =>
      ctx.db.execute<{ id: string }>(sql`
        update paywire.hook_deliveries set enqueued_at = now()
         where id in (
           select d.id from paywire.hook_deliveries d
             join paywire.hook_endpoints e on e.id = d.endpoint_id and e.enabled
            where d.environment = ${environment} and d.status = 'pending'
              and (d.enqueued_at is null
                   or (d.next_attempt_at < now() - make_interval(mins => ${STUCK_AFTER_MINUTES})
                       and d.enqueued_at < now() - make_interval(mins => ${STUCK_AFTER_MINUTES})))
            order by d.id limit ${REQUEUE_LIMIT})
        returning id`),
    );
    const ids = result.rows.map((r) => Number(r.id));
    counts[environment] = await enqueueDeliveries(ctx.outboxQueue, environment, ids);
  }
  if (counts.test + counts.live > 0) ctx.logger.info('requeued stuck hook deliveries', counts);
  return counts;
}
