import { and, eq, inArray, sql } from 'drizzle-orm';
import { checkoutSessions, connections, type Environment } from '../../../drizzle/schema';
import { batchAsCallerThenOwner } from '../../db/as-caller';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';
import { type BillingSubjectRef, claimCustomer, selectMapping } from '../customers/find-or-create-customer';
import type { CreateCheckoutSessionInput } from './input';
import { selectLineItemPrices } from './line-items';

export type CheckoutRow = typeof checkoutSessions.$inferSelect;

export interface CheckoutRequest {
  environment: Environment;
  caller: { id: string; claims: { sub: string } & Record<string, unknown> };
  subject: BillingSubjectRef;
  idempotencyKey?: string;
  requestHash: string;
  body: CreateCheckoutSessionInput;
}

/** The request's row: by idempotency key (for this subject) when there is one, else the new id. */
function sameRequest(request: CheckoutRequest, newId: string) {
  const { environment, subject, idempotencyKey } = request;
  return idempotencyKey
    ? and(
        eq(checkoutSessions.environment, environment),
        eq(checkoutSessions.subjectType, subject.subjectType),
        eq(checkoutSessions.subjectId, subject.subjectId),
        eq(checkoutSessions.idempotencyKey, idempotencyKey),
      )
    : eq(checkoutSessions.id, newId);
}

/**
 * Round trip 1, one transaction: AS THE CALLER insert the request row (RLS decides whether the
 * caller may bill the subject: refused → 403 and nothing written, the transaction aborts); then
 * as the Worker read the row that holds the idempotency key (ours or an earlier one), the
 * subject's customer mapping, take the customer claim if a customer is still needed, read the
 * line items' prices and the Stripe connection.
 */
export async function insertCheckoutRequest(ctx: ServiceContext, request: CheckoutRequest) {
  const { db } = ctx;
  const { environment, subject, body } = request;
  const newId = crypto.randomUUID();
  const mine = sameRequest(request, newId);
  const pending = sql`exists (select 1 from ${checkoutSessions} where ${mine} and ${checkoutSessions.status} in ('initialized', 'failed'))`;
  const [, [rows, claim, mapping, priceRows, connectionRows]] = await dbCall('create checkout request', () =>
    batchAsCallerThenOwner(
      db,
      request.caller,
      [
        db
          .insert(checkoutSessions)
          .values({
            id: newId,
            environment,
            subjectType: subject.subjectType,
            subjectId: subject.subjectId,
            createdBy: request.caller.id,
            idempotencyKey: request.idempotencyKey ?? null,
            requestHash: request.requestHash,
            mode: body.mode,
            request: body,
            metadata: body.metadata ?? {},
          })
          .onConflictDoNothing(),
      ],
      [
        db.select().from(checkoutSessions).where(mine).limit(1),
        // the claim before the mapping read: MAPPING_AFTER_CLAIM in find-or-create-customer.ts
        claimCustomer(db, environment, subject, pending),
        selectMapping(db, environment, subject),
        selectLineItemPrices(db, environment, body.lineItems),
        db.select().from(connections).where(eq(connections.environment, environment)).limit(1),
      ],
    ),
  ).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'FORBIDDEN')
      throw new AppError('FORBIDDEN', `You may not bill ${subject.subjectType}:${subject.subjectId}`, {
        cause: err,
      });
    throw err;
  });
  const row = rows[0];
  if (!row) throw new AppError('INTERNAL', 'The checkout request row was not written');
  return {
    row,
    replayed: row.id !== newId,
    lookup: {
      stripeCustomerId: mapping[0]?.stripeCustomerId ?? null,
      claimToken: claim.rows[0]?.token ?? null,
    },
    prices: priceRows,
    connection: connectionRows[0] ?? null,
  };
}

/** Row → open with Stripe's session (a webhook that already completed it wins: only initialized/failed rows move). */
export function markOpen(
  db: Db,
  rowId: string,
  session: { id: string; url: string | null; expiresAt: Date | null; stripeCustomerId: string },
) {
  return db
    .update(checkoutSessions)
    .set({
      status: sql`case when ${checkoutSessions.status} in ('initialized', 'failed') then 'open' else ${checkoutSessions.status} end`,
      stripeCheckoutSessionId: session.id,
      url: sql`coalesce(${checkoutSessions.url}, ${session.url})`,
      stripeCustomerId: sql`coalesce(${checkoutSessions.stripeCustomerId}, ${session.stripeCustomerId})`,
      expiresAt: sql`coalesce(${checkoutSessions.expiresAt}, ${session.expiresAt?.toISOString() ?? null}::timestamptz)`,
      lastError: null,
    })
    .where(eq(checkoutSessions.id, rowId))
    .returning();
}

/** Row → failed with our (redacted) reason, unless it already moved on. */
export function markFailed(db: Db, rowId: string, reason: string) {
  return db
    .update(checkoutSessions)
    .set({ status: 'failed', lastError: reason.slice(0, 1000) })
    .where(and(eq(checkoutSessions.id, rowId), inArray(checkoutSessions.status, ['initialized', 'failed'])));
}
