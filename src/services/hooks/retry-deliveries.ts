import { sql } from 'drizzle-orm';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { enqueueDeliveries } from '../outbox/queue';

/** At most this many dead deliveries are revived per call (the answer says how many remain). */
export const RETRY_DEAD_LIMIT = 500;

export interface RetryDeliveriesResult {
  retried: number;
  /** handed to the Queue now (0 without the binding: a pull-only deployment) */
  enqueued: number;
  remaining: number;
}

const revive = (where: ReturnType<typeof sql>) => sql`
  update paywire.hook_deliveries
     set status = 'pending', attempts = 0, next_attempt_at = now(), enqueued_at = now(), last_error = null
   where id in (${where})
   returning id`;

/** One delivery back to pending with a fresh attempt count, enqueued at once. Delivered → 409. */
export async function retryHookDelivery(
  ctx: ServiceContext,
  input: { environment: Environment; deliveryId: number },
): Promise<RetryDeliveriesResult> {
  const { environment, deliveryId } = input;
  const found = await dbCall('read hook delivery', () =>
    ctx.db.execute<{ status: string }>(
      sql`select status from paywire.hook_deliveries where id = ${deliveryId} and environment = ${environment}`,
    ),
  );
  const status = found.rows[0]?.status;
  if (!status) throw new AppError('NOT_FOUND', `No hook delivery ${deliveryId} in ${environment}`);
  if (status === 'delivered')
    throw new AppError('CONFLICT', `Hook delivery ${deliveryId} is already delivered; nothing to retry`);
  const [revived] = await dbCall('retry hook delivery', () =>
    ctx.db.batch([
      ctx.db.execute<{ id: string }>(
        revive(
          sql`select id from paywire.hook_deliveries where id = ${deliveryId} and environment = ${environment} and status <> 'delivered'`,
        ),
      ),
      auditStatement(ctx, { action: 'hook.delivery.retry', environment, target: String(deliveryId) }),
    ]),
  );
  const ids = revived.rows.map((r) => Number(r.id));
  const enqueued = await enqueueDeliveries(ctx.outboxQueue, environment, ids);
  return { retried: ids.length, enqueued, remaining: 0 };
}

/** Every dead delivery of the environment (or of one endpoint), oldest first, back to pending. */
export async function retryDeadHookDeliveries(
  ctx: ServiceContext,
  input: { environment: Environment; endpointId?: string },
): Promise<RetryDeliveriesResult> {
  const { environment, endpointId } = input;
  const endpoint = endpointId ? sql`and endpoint_id = ${endpointId}::uuid` : sql``;
  const dead = sql`status = 'dead' and environment = ${environment} ${endpoint}`;
  const [revived, left] = await dbCall('retry dead hook deliveries', () =>
    ctx.db.batch([
      ctx.db.execute<{ id: string }>(
        revive(
          sql`select id from paywire.hook_deliveries where ${dead} order by id limit ${RETRY_DEAD_LIMIT}`,
        ),
      ),
      ctx.db.execute<{ n: number }>(
        sql`select count(*)::int as n from paywire.hook_deliveries where ${dead}`,
      ),
    ]),
  );
  const ids = revived.rows.map((r) => Number(r.id));
  if (ids.length > 0)
    await dbCall('audit dead hook deliveries retry', () =>
      auditStatement(ctx, {
        action: 'hook.delivery.retry_dead',
        environment,
        target: endpointId ?? null,
        details: { retried: ids.length },
      }),
    );
  const enqueued = await enqueueDeliveries(ctx.outboxQueue, environment, ids);
  return { retried: ids.length, enqueued, remaining: Number(left.rows[0]?.n ?? 0) };
}
