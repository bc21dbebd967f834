import { eq, gte } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import { exactOrPrefix, type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type EventRow = typeof webhookEvents.$inferSelect;
export type ProcessingStatus = 'pending' | 'processed' | 'failed' | 'ignored';

/** Received events, newest first by arrival. */
export function listEvents(
  ctx: ServiceContext,
  input: PageRequest & {
    environment: Environment;
    status?: ProcessingStatus;
    /** exact type, or a prefix ending in * */
    type?: string;
    since?: Date;
  },
) {
  return selectPage(
    ctx.db,
    'list events',
    webhookEvents,
    [
      eq(webhookEvents.environment, input.environment),
      input.status ? eq(webhookEvents.processingStatus, input.status) : undefined,
      exactOrPrefix(webhookEvents.type, input.type),
      input.since ? gte(webhookEvents.receivedAt, input.since) : undefined,
    ],
    input,
    webhookEvents.receivedAt,
  );
}
