import { and, eq } from 'drizzle-orm';
import { type Environment, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';

export type HookEndpointRow = typeof hookEndpoints.$inferSelect;

/** The endpoint of this environment, or 404. */
export async function requireHookEndpoint(
  ctx: ServiceContext,
  input: { environment: Environment; id: string },
): Promise<HookEndpointRow> {
  const [row] = await dbCall('read hook endpoint', () =>
    ctx.db
      .select()
      .from(hookEndpoints)
      .where(and(eq(hookEndpoints.environment, input.environment), eq(hookEndpoints.id, input.id)))
      .limit(1),
  );
  if (!row) throw new AppError('NOT_FOUND', `No hook endpoint ${input.id} in ${input.environment}`);
  return row;
}

/** What the audit log keeps of an endpoint's URL: its origin (a path or query may hold a token). */
export const auditedUrl = (url: string) => new URL(url).origin;
