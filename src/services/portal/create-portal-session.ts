import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { connections, type Environment, portalSessions } from '../../../drizzle/schema';
import { batchAsCallerThenOwner, type CallerClaims } from '../../db/as-caller';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { SafeText } from '../../db/storable';
import { AppError } from '../../errors';
import { createStripeClient } from '../../stripe/client';
import { SubjectInput } from '../checkout/input';
import { runtimeStripeCall, runtimeStripeError } from '../checkout/stripe-outcome';
import { decryptSecretKey, isConnected } from '../connections/repository';
import type { ServiceContext } from '../context';
import { type BillingSubjectRef, selectMapping } from '../customers/find-or-create-customer';

export const CreatePortalSessionBody = z
  .strictObject({
    subject: SubjectInput.optional().openapi({ description: 'default: the caller (`user`, JWT `sub`)' }),
    returnUrl: SafeText(2000)
      .url()
      .refine((v) => /^https?:\/\//i.test(v), { message: 'must be an http(s) URL' })
      .openapi({ example: 'https://app.example.com/billing' }),
  })
  .openapi('CreatePortalSession');

export type CreatePortalSessionInput = z.infer<typeof CreatePortalSessionBody>;

export type PortalRow = typeof portalSessions.$inferSelect;

export interface CreatePortalSessionCommand {
  environment: Environment;
  caller: CallerClaims & { id: string };
  body: CreatePortalSessionInput;
}

/**
 * POST /v1/:env/customer-portal-sessions. Round trip 1 writes the request row AS THE CALLER
 * (RLS: a subject the caller may not bill → 403, no row) and reads the subject's customer
 * mapping and the connection; no mapping yet → 404 (the subject never checked out). Then
 * Stripe's billing portal session, and round trip 2 records it.
 */
export async function createPortalSession(
  ctx: ServiceContext,
  command: CreatePortalSessionCommand,
): Promise<PortalRow> {
  const { environment, body } = command;
  const subject: BillingSubjectRef = body.subject
    ? { subjectType: body.subject.type, subjectId: body.subject.id }
    : { subjectType: 'user', subjectId: command.caller.id };
  const first = await insertPortalRequest(ctx.db, command, subject);
  let session: { id: string; url: string };
  try {
    if (!first.stripeCustomerId) {
      throw new AppError(
        'NOT_FOUND',
        `${subject.subjectType}:${subject.subjectId} has no Stripe customer in ${environment} yet (complete a checkout first)`,
      );
    }
    if (!isConnected(first.connection)) {
      throw new AppError('NOT_CONNECTED', `The ${environment} environment is not connected to Stripe`);
    }
    const stripe = createStripeClient(await decryptSecretKey(ctx.env, first.connection), ctx.env);
    const customer = first.stripeCustomerId;
    session = await runtimeStripeCall('create portal session', () =>
      stripe.billingPortal.sessions.create(
        { customer, return_url: body.returnUrl },
        { idempotencyKey: `paywire-portal-${first.rowId}` },
      ),
    );
  } catch (err) {
    const failure = err instanceof AppError ? err : runtimeStripeError(err, 'create portal session');
    await dbCall('record portal failure', () =>
      ctx.db
        .update(portalSessions)
        .set({ status: 'failed', lastError: `${failure.code}: ${failure.message}`.slice(0, 1000) })
        .where(eq(portalSessions.id, first.rowId)),
    ).catch((e) => ctx.logger.warn('could not record the portal failure', { error: String(e) }));
    throw failure;
  }
  const [row] = await dbCall('record portal session', () =>
    ctx.db
      .update(portalSessions)
      .set({
        status: 'created',
        stripeCustomerId: first.stripeCustomerId,
        stripePortalSessionId: session.id,
        url: session.url,
      })
      .where(eq(portalSessions.id, first.rowId))
      .returning(),
  );
  if (!row) throw new AppError('INTERNAL', 'The portal session row disappeared');
  return row;
}

async function insertPortalRequest(db: Db, command: CreatePortalSessionCommand, subject: BillingSubjectRef) {
  const { environment } = command;
  const rowId = crypto.randomUUID();
  const [, [mapping, connectionRows]] = await dbCall('create portal request', () =>
    batchAsCallerThenOwner(
      db,
      command.caller,
      [
        db.insert(portalSessions).values({
          id: rowId,
          environment,
          subjectType: subject.subjectType,
          subjectId: subject.subjectId,
          createdBy: command.caller.id,
          returnUrl: command.body.returnUrl,
        }),
      ],
      [
        selectMapping(db, environment, subject),
        db.select().from(connections).where(eq(connections.environment, environment)).limit(1),
      ],
    ),
  ).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'FORBIDDEN')
      throw new AppError(
        'FORBIDDEN',
        `You may not manage billing of ${subject.subjectType}:${subject.subjectId}`,
        {
          cause: err,
        },
      );
    throw err;
  });
  return {
    rowId,
    stripeCustomerId: mapping[0]?.stripeCustomerId ?? null,
    connection: connectionRows[0] ?? null,
  };
}
