import { and, eq } from 'drizzle-orm';
import { type Environment, hookDeliveries, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { requireHookEndpoint } from './endpoints';

/** Removes an endpoint and its deliveries (queued messages for it are then acked unsent). */
export async function deleteHookEndpoint(
  ctx: ServiceContext,
  input: { environment: Environment; id: string },
): Promise<{ id: string; deleted: true }> {
  const endpoint = await requireHookEndpoint(ctx, input);
  await dbCall('delete hook endpoint', () =>
    ctx.db.batch([
      ctx.db.delete(hookDeliveries).where(eq(hookDeliveries.endpointId, endpoint.id)),
      ctx.db
        .delete(hookEndpoints)
        .where(and(eq(hookEndpoints.environment, input.environment), eq(hookEndpoints.id, endpoint.id))),
      auditStatement(ctx, {
        action: 'hook.delete',
        environment: input.environment,
        target: endpoint.id,
        details: { secret: endpoint.secretMasked },
      }),
    ]),
  );
  return { id: endpoint.id, deleted: true };
}
