import { and, eq } from 'drizzle-orm';
import { type Environment, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { auditedUrl, type HookEndpointRow, requireHookEndpoint } from './endpoints';

/**
 * Changes an endpoint's topics, URL or enabled flag. A disabled endpoint gets no new deliveries
 * (the fan-out skips it) and its pending ones wait; re-enabled, the cron tick re-enqueues them.
 */
export async function updateHookEndpoint(
  ctx: ServiceContext,
  input: { environment: Environment; id: string; url?: string; events?: string[]; enabled?: boolean },
): Promise<HookEndpointRow> {
  const set = {
    ...(input.url === undefined ? {} : { url: input.url }),
    ...(input.events === undefined ? {} : { events: input.events }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
  };
  if (Object.keys(set).length === 0) throw new AppError('VALIDATION_FAILED', 'Nothing to change');
  await requireHookEndpoint(ctx, input);
  const [rows] = await dbCall('update hook endpoint', () =>
    ctx.db.batch([
      ctx.db
        .update(hookEndpoints)
        .set(set)
        .where(and(eq(hookEndpoints.environment, input.environment), eq(hookEndpoints.id, input.id)))
        .returning(),
      auditStatement(ctx, {
        action: 'hook.update',
        environment: input.environment,
        target: input.id,
        details: { ...set, ...(set.url ? { url: auditedUrl(set.url) } : {}) },
      }),
    ]),
  );
  // Deleted between the two requests.
  if (!rows[0]) throw new AppError('NOT_FOUND', `No hook endpoint ${input.id} in ${input.environment}`);
  return rows[0];
}
