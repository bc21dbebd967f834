import { and, eq } from 'drizzle-orm';
import { type Environment, hookEndpoints } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { newHookSecret, sealHookSecret } from './endpoint-secret';
import { type HookEndpointRow, requireHookEndpoint } from './endpoints';

/**
 * A new signing secret for the endpoint, returned once. Deliveries from now on are signed with
 * it only: have the app accept both secrets (verifyPaywireSignature with each) while it rolls.
 */
export async function rotateHookSecret(
  ctx: ServiceContext,
  input: { environment: Environment; id: string },
): Promise<{ endpoint: HookEndpointRow; secret: string }> {
  const current = await requireHookEndpoint(ctx, input);
  const secret = newHookSecret();
  const sealed = await sealHookSecret(ctx, input.environment, current.id, secret);
  const [rows] = await dbCall('rotate hook secret', () =>
    ctx.db.batch([
      ctx.db
        .update(hookEndpoints)
        .set(sealed)
        .where(and(eq(hookEndpoints.environment, input.environment), eq(hookEndpoints.id, current.id)))
        .returning(),
      auditStatement(ctx, {
        action: 'hook.rotate_secret',
        environment: input.environment,
        target: current.id,
        details: { from: current.secretMasked, to: sealed.secretMasked },
      }),
    ]),
  );
  return { endpoint: rows[0] ?? { ...current, ...sealed }, secret };
}
