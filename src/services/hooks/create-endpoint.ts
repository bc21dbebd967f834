import { type Environment, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { newHookSecret, sealHookSecret } from './endpoint-secret';
import { auditedUrl, type HookEndpointRow } from './endpoints';

/**
 * Registers an app endpoint for outbox messages, with a new signing secret stored encrypted.
 * The secret is returned here once; afterwards only its masked form is.
 */
export async function createHookEndpoint(
  ctx: ServiceContext,
  input: { environment: Environment; url: string; events: string[]; description?: string | null },
): Promise<{ endpoint: HookEndpointRow; secret: string }> {
  const id = crypto.randomUUID();
  const secret = newHookSecret();
  const sealed = await sealHookSecret(ctx, input.environment, id, secret);
  const [rows] = await dbCall('create hook endpoint', () =>
    ctx.db.batch([
      ctx.db
        .insert(hookEndpoints)
        .values({
          id,
          environment: input.environment,
          url: input.url,
          events: input.events,
          description: input.description ?? null,
          ...sealed,
        })
        .returning(),
      auditStatement(ctx, {
        action: 'hook.create',
        environment: input.environment,
        target: id,
        details: { url: auditedUrl(input.url), events: input.events, secret: sealed.secretMasked },
      }),
    ]),
  );
  return { endpoint: rows[0]!, secret };
}
