import { sql } from 'drizzle-orm';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { commitHorizon, pullPosition } from './list-messages';

/**
 * Pull API: marks messages handled (`processed_at`), by id or every one up to an id in the pull
 * order ((xid, id), below the commit horizon: see listOutboxMessages), so `up_to` never marks a
 * message no listing could have returned yet. Idempotent: an acked message keeps its first ack
 * time; `acked` counts the ones this call marked.
 */
export async function ackOutboxMessages(
  ctx: ServiceContext,
  input: { environment: Environment; ids?: number[]; upTo?: number },
): Promise<{ acked: number }> {
  const which =
    input.upTo !== undefined
      ? sql`xid < ${commitHorizon} and (xid, id) <= ${pullPosition(input.environment, input.upTo)}`
      : sql`id = any(${`{${(input.ids ?? []).join(',')}}`}::bigint[])`;
  const result = await dbCall('ack outbox messages', () =>
    ctx.db.execute<{ n: number }>(sql`
      with acked as (
        update paywire.outbox set processed_at = now()
         where environment = ${input.environment} and processed_at is null and ${which}
        returning 1)
      select count(*)::int as n from acked`),
  );
  return { acked: Number(result.rows[0]?.n ?? 0) };
}
