import { sql } from 'drizzle-orm';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import type { AuditEntry } from '../audit/record-audit';
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

/**
 * Back to pending with a fresh attempt count, due now, and the audit entry in the same statement,
 * written only if a row was revived (`details.retried` counts them). claimed_until is left alone:
 * a pending delivery a Queue copy holds keeps its claim, and the copy enqueued now waits until the
 * claim is settled or lapses (deliver.ts), so it never POSTs side by side with the claimant.
 */
const reviveAndAudit = (
  ctx: Pick<ServiceContext, 'actor' | 'requestId'>,
  where: ReturnType<typeof sql>,
  entry: Required<Pick<AuditEntry, 'action'>> & { environment: Environment; target: string | null },
) => sql`
  with revived as (
    update paywire.hook_deliveries
       set status = 'pending', attempts = 0, enqueued_at = now(), last_error = null,
           next_attempt_at = now()
     where id in (${where})
     returning id),
  audit as (
    insert into paywire.audit_log (actor, action, environment, target, details, request_id)
    select ${ctx.actor.id}, ${entry.action}, ${entry.environment}, ${entry.target},
           jsonb_build_object('retried', count(*)), ${ctx.requestId}
      from revived having count(*) > 0)
  select id from revived`;

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
  const revived = await dbCall('retry hook delivery', () =>
    ctx.db.execute<{ id: string }>(
      reviveAndAudit(
        ctx,
        sql`select id from paywire.hook_deliveries where id = ${deliveryId} and environment = ${environment} and status <> 'delivered'`,
        { action: 'hook.delivery.retry', environment, target: String(deliveryId) },
      ),
    ),
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
        reviveAndAudit(
          ctx,
          sql`select id from paywire.hook_deliveries where ${dead} order by id limit ${RETRY_DEAD_LIMIT}`,
          { action: 'hook.delivery.retry_dead', environment, target: endpointId ?? null },
        ),
      ),
      ctx.db.execute<{ n: number }>(
        sql`select count(*)::int as n from paywire.hook_deliveries where ${dead}`,
      ),
    ]),
  );
  const ids = revived.rows.map((r) => Number(r.id));
  const enqueued = await enqueueDeliveries(ctx.outboxQueue, environment, ids);
  return { retried: ids.length, enqueued, remaining: Number(left.rows[0]?.n ?? 0) };
}
