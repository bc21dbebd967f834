import { and, eq } from 'drizzle-orm';
import { type Environment, webhookEvents } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';
import type { EventRow } from './list-events';

/** One received event by its Stripe id; 404 when this environment never received it. */
export async function getEvent(
  ctx: ServiceContext,
  input: { environment: Environment; eventId: string },
): Promise<EventRow> {
  const { environment, eventId } = input;
  const rows = await dbCall('read event', () =>
    ctx.db
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.environment, environment), eq(webhookEvents.stripeEventId, eventId)))
      .limit(1),
  );
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', `No event ${eventId.slice(0, 80)} in ${environment}`);
  return row;
}
