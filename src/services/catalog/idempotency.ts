import { and, eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { type Environment, idempotencyKeys } from '../../../drizzle/schema';
import { sha256Hex } from '../../crypto/hex';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { stripeCall } from '../../stripe/errors';
import { type AuditEntry, auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import type { StripeObject } from '../projection/stripe-object';
import type { Statement } from '../projection/types';

/** What one idempotent catalog write needs: the request, the Stripe call and what to record. */
export interface IdempotentWrite<Row> {
  environment: Environment;
  /** the caller's Idempotency-Key header; absent → a fresh key (the write is then not deduplicated) */
  idempotencyKey: string | undefined;
  /** e.g. product.create */
  operation: string;
  /** the Stripe id the write acts on (null for creates) */
  target: string | null;
  /** the validated request; its hash binds the key to it */
  request: unknown;
  /** the HTTP status of a first success (201 create, 200 otherwise); replays answer the same */
  status: 200 | 201;
  call(stripe: Stripe, options: Stripe.RequestOptions): Promise<StripeObject>;
  /** projection statements for the object Stripe answered to a request sent at `sentAt` */
  project(object: StripeObject, sentAt: Date): Statement[];
  audit(object: StripeObject): AuditEntry;
  /** the projection row of the object, read after the write (in the same transaction) */
  readRow(objectId: string): ReadRow<Row>;
}

/** A select of the object's projection row (a batch item whose result is its rows). */
export type ReadRow<Row> = PromiseLike<Row[]>;

export interface WriteOutcome<Row> {
  status: 200 | 201;
  /** the object's projection row right after the write (on a replay: as it is now) */
  row: Row;
  /** the key the write ran under (generated when the caller sent none) */
  idempotencyKey: string;
  /** true when the stored response of an earlier success was answered and Stripe was not called */
  replayed: boolean;
}

/**
 * Runs a Stripe write at most once per Idempotency-Key:
 * 1. claims the key (an insert; on conflict the row as first stored is read);
 * 2. a key used before with another request (or another Stripe account) → 409 CONFLICT;
 *    a key whose write completed → its stored response, Stripe not called;
 * 3. otherwise calls Stripe with a Stripe idempotency key derived from the caller's key, so a
 *    retry after a lost answer or a failed database write gets the same object from Stripe
 *    (a Stripe failure releases the claim: nothing of a failed write stays);
 * 4. one db.batch: the projection row from Stripe's answer, the key marked completed with the
 *    response, and the audit entry — all before the response.
 */
export async function runIdempotentWrite<Row>(
  ctx: ServiceContext,
  write: IdempotentWrite<Row>,
): Promise<WriteOutcome<Row>> {
  const key = write.idempotencyKey ?? `pw_gen_${crypto.randomUUID()}`;
  const { stripe, connection } = await ctx.stripe.forEnvironment(write.environment);
  const requestHash = await sha256Hex(canonicalJson([write.operation, write.target, write.request]));
  const stripeIdempotencyKey = `paywire-${write.environment}-${await sha256Hex(`${write.environment}\u0000${key}`)}`;
  const claimed = await claimKey(ctx, {
    environment: write.environment,
    key,
    operation: write.operation,
    requestHash,
    stripeIdempotencyKey,
    accountId: connection.accountId,
  });
  if (claimed.requestHash !== requestHash || claimed.accountId !== connection.accountId) {
    throw new AppError(
      'CONFLICT',
      `Idempotency-Key "${key.slice(0, 80)}" was already used with a different request (${claimed.operation}); use a new key for a different request`,
    );
  }
  if (claimed.status === 'completed') {
    const rows = await dbCall(`read ${write.operation} result`, async () =>
      write.readRow(claimed.stripeObjectId ?? ''),
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', `${claimed.stripeObjectId} is no longer mirrored`);
    return { status: claimed.responseStatus as 200 | 201, row: rows[0], idempotencyKey: key, replayed: true };
  }

  // A read reflects Stripe at some instant after the request was sent (the recency rule of API reads).
  const sentAt = new Date(Math.max(Date.now(), ctx.clock.now() * 1000));
  const object = await stripeCall(write.operation, () =>
    write.call(stripe, { idempotencyKey: claimed.stripeIdempotencyKey }),
  ).catch(async (err: unknown) => {
    await releaseClaim(ctx, claimed.id);
    throw translateStripeFailure(err, key);
  });
  const complete = ctx.db
    .update(idempotencyKeys)
    .set({
      status: 'completed',
      responseStatus: write.status,
      response: object,
      stripeObjectId: typeof object.id === 'string' ? object.id : null,
      completedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(sql`${idempotencyKeys.id} = ${claimed.id}`);
  const objectId = String(object.id);
  const results = await dbCall(`record ${write.operation}`, () =>
    ctx.db.batch([
      complete,
      ...write.project(object, sentAt),
      auditStatement(ctx, write.audit(object)),
      write.readRow(objectId),
    ] as unknown as [Statement, ...Statement[]]),
  );
  const row = (results[results.length - 1] as Row[])[0];
  if (!row) throw new AppError('INTERNAL', `${objectId} was not projected`);
  return { status: write.status, row, idempotencyKey: key, replayed: false };
}

type KeyRow = typeof idempotencyKeys.$inferSelect;

/**
 * Inserts the key, or returns the row already stored for it. A retry costs a second round
 * trip (the select) but writes nothing: a refused request leaves every row as it was.
 */
async function claimKey(
  ctx: ServiceContext,
  values: Pick<
    typeof idempotencyKeys.$inferInsert,
    'environment' | 'key' | 'operation' | 'requestHash' | 'stripeIdempotencyKey' | 'accountId'
  >,
): Promise<KeyRow> {
  const inserted = await dbCall('claim idempotency key', () =>
    ctx.db.insert(idempotencyKeys).values(values).onConflictDoNothing().returning(),
  );
  if (inserted[0]) return inserted[0];
  const stored = await dbCall('read idempotency key', () =>
    ctx.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.environment, values.environment), eq(idempotencyKeys.key, values.key))),
  );
  // Released between the insert and the select (a concurrent attempt failed): claim again.
  return stored[0] ?? claimKey(ctx, values);
}

/**
 * A write Stripe did not carry out leaves no row: the key is free again. A retry (with any
 * body) calls Stripe under the same derived Stripe key, so Stripe's own record decides: the
 * object it already made, its stored error, or an idempotency error (→ 409).
 */
async function releaseClaim(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.id, id), eq(idempotencyKeys.status, 'pending')))
    .catch((err: unknown) => ctx.logger.warn('idempotency key not released', { error: String(err) }));
}

/**
 * Stripe's failures as the catalog writes answer them: a reused Stripe idempotency key with
 * other parameters is the caller's 409; Stripe not reachable at all (network, timeout) is 503
 * STRIPE_UNREACHABLE (retry with the same key); anything Stripe answered stays as translated
 * (502 STRIPE_ERROR with Stripe's redacted message, STRIPE_UNAVAILABLE for its 5xx/429).
 */
function translateStripeFailure(err: unknown, key: string): unknown {
  if (err instanceof AppError && !err.code.startsWith('STRIPE_')) return err;
  const cause = err instanceof AppError ? err.cause : err;
  if (cause instanceof Stripe.errors.StripeIdempotencyError) {
    return new AppError(
      'CONFLICT',
      `Idempotency-Key "${key.slice(0, 80)}" is in use by another request (Stripe refused to repeat it)`,
      { cause },
    );
  }
  if (cause instanceof Stripe.errors.StripeConnectionError || !(cause instanceof Stripe.errors.StripeError)) {
    return new AppError(
      'STRIPE_UNREACHABLE',
      'Stripe could not be reached; retry with the same Idempotency-Key',
      {
        cause,
      },
    );
  }
  return err;
}

/** JSON with object keys sorted, so that the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
