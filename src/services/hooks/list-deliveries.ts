import { eq } from 'drizzle-orm';
import { type Environment, hookDeliveries } from '../../../drizzle/schema';
import { type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type HookDeliveryRow = typeof hookDeliveries.$inferSelect;
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** Deliveries, newest first, by status and endpoint. */
export function listHookDeliveries(
  ctx: ServiceContext,
  input: PageRequest & { environment: Environment; status?: DeliveryStatus; endpointId?: string },
) {
  return selectPage(
    ctx.db,
    'list hook deliveries',
    hookDeliveries,
    [
      eq(hookDeliveries.environment, input.environment),
      input.status ? eq(hookDeliveries.status, input.status) : undefined,
      input.endpointId ? eq(hookDeliveries.endpointId, input.endpointId) : undefined,
    ],
    input,
  );
}
