import { and, asc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { type Environment, outbox } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { type MessageEnvelope, messageEnvelope } from './envelope';

export type PulledMessage = MessageEnvelope & { acked: boolean };

/**
 * The oldest transaction still in progress (evaluated once per statement): every message whose
 * `xid` is below it is committed or gone, and every message still to commit has an `xid` at or
 * above it. Ids cannot serve as the horizon: they are taken at INSERT, and transactions commit
 * out of id order.
 */
export const commitHorizon: SQL = sql`(select pg_snapshot_xmin(pg_current_snapshot()))`;

/**
 * Where message `id` stands in the pull order (xid, id): its own row, or this environment's
 * nearest one below it (an id this environment never listed); before every message if none.
 */
export function pullPosition(environment: Environment, id: number): SQL {
  const row = sql`(select o.xid, o.id from paywire.outbox o
     where o.environment = ${environment} and o.id <= ${id} order by o.id desc limit 1)`;
  return sql`(coalesce((select c.xid from ${row} c), '0'::xid8), coalesce((select c.id from ${row} c), 0))`;
}

/**
 * Pull API: the messages after message `after` in (xid, id) order, listing only those whose
 * transaction is older than every one still running (outbox_env_xid_id_idx). A message committed
 * later has a newer xid than any listed so far, so it sorts after them and a poller passing the
 * last id it handled as the next `after` never steps over it. Acked ones are listed (flagged).
 */
export async function listOutboxMessages(
  ctx: ServiceContext,
  input: { environment: Environment; after: number; limit: number; topic?: string },
): Promise<{ data: PulledMessage[]; nextAfter: string | null }> {
  const rows = await dbCall('list outbox messages', () =>
    ctx.db
      .select()
      .from(outbox)
      .where(
        and(
          eq(outbox.environment, input.environment),
          sql`(${outbox.xid}, ${outbox.id}) > ${pullPosition(input.environment, input.after)}`,
          lt(outbox.xid, commitHorizon),
          input.topic ? eq(outbox.topic, input.topic) : undefined,
        ),
      )
      .orderBy(asc(outbox.xid), asc(outbox.id))
      .limit(input.limit),
  );
  const data = rows.map((row) => ({ ...messageEnvelope(row), acked: row.processedAt !== null }));
  return { data, nextAfter: data.length === input.limit ? data[data.length - 1]!.id : null };
}
