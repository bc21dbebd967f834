import { asc, eq } from 'drizzle-orm';
import { type Environment, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import type { HookEndpointRow } from './endpoints';

/** The environment's endpoints, oldest first (a handful: no paging). */
export function listHookEndpoints(
  ctx: ServiceContext,
  input: { environment: Environment },
): Promise<HookEndpointRow[]> {
  return dbCall('list hook endpoints', () =>
    ctx.db
      .select()
      .from(hookEndpoints)
      .where(eq(hookEndpoints.environment, input.environment))
      .orderBy(asc(hookEndpoints.createdAt), asc(hookEndpoints.id)),
  );
}
