import { and, asc, eq, gt } from 'drizzle-orm';
import { type Environment, outbox } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { type MessageEnvelope, messageEnvelope } from './envelope';

export type PulledMessage = MessageEnvelope & { acked: boolean };

/**
 * Pull API: the messages with an id greater than `after`, in id order (outbox_env_id_idx). The
 * caller passes the last id it handled as the next `after`; acked ones are listed too (flagged).
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
          gt(outbox.id, input.after),
          input.topic ? eq(outbox.topic, input.topic) : undefined,
        ),
      )
      .orderBy(asc(outbox.id))
      .limit(input.limit),
  );
  const data = rows.map((row) => ({ ...messageEnvelope(row), acked: row.processedAt !== null }));
  return { data, nextAfter: data.length === input.limit ? data[data.length - 1]!.id : null };
}
