import type Stripe from 'stripe';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { createStripeClient } from '../../stripe/client';
import { decryptSecretKey, isConnected } from '../connections/repository';
import type { ServiceContext } from '../context';
import {
  type BillingSubjectRef,
  findOrCreateCustomer,
  type ResolvedCustomer,
  recordCreatedCustomer,
  releaseClaim,
} from '../customers/find-or-create-customer';
import { CHECKOUT_ID_KEY, SUBJECT_ID_KEY, SUBJECT_TYPE_KEY } from '../projection/subjects';
import type { Statement } from '../projection/types';
import type { CreateCheckoutSessionInput } from './input';
import { resolveLineItems } from './line-items';
import { requestHash } from './request-hash';
import {
  type CheckoutRequest,
  type CheckoutRow,
  insertCheckoutRequest,
  markFailed,
  markOpen,
} from './request-rows';
import { runtimeStripeCall, runtimeStripeError } from './stripe-outcome';

export interface CreateCheckoutSessionCommand {
  environment: Environment;
  caller: CheckoutRequest['caller'];
  /** default: the caller's own user subject */
  subject?: { type: string; id: string };
  idempotencyKey?: string;
  body: CreateCheckoutSessionInput;
}

export interface CheckoutSessionOutcome {
  row: CheckoutRow;
  /** true when an earlier request with the same Idempotency-Key and body answered (200, not 201) */
  replayed: boolean;
}

/**
 * POST /v1/:env/checkout-sessions. Round trips: 1 before Stripe (request row as the caller +
 * everything the Worker needs to read), Stripe (customer if new, then the session), 1 after
 * (row → open, and the new customer's mapping). See docs/runtime-api.md.
 */
export async function createCheckoutSession(
  ctx: ServiceContext,
  command: CreateCheckoutSessionCommand,
): Promise<CheckoutSessionOutcome> {
  const { body, environment } = command;
  const subject: BillingSubjectRef = command.subject
    ? { subjectType: command.subject.type, subjectId: command.subject.id }
    : { subjectType: 'user', subjectId: command.caller.id };
  const request: CheckoutRequest = {
    environment,
    caller: command.caller,
    subject,
    idempotencyKey: command.idempotencyKey,
    requestHash: await requestHash({ subject, body }),
    body,
  };
  const first = await insertCheckoutRequest(ctx, request);
  const { row } = first;
  if (first.replayed) {
    if (row.requestHash !== request.requestHash) {
      throw new AppError('CONFLICT', 'This Idempotency-Key was used with another request body', {
        details: { idempotencyKey: command.idempotencyKey },
      });
    }
    // Answered before: the same session. A row still initialized or failed is retried below,
    // under the same Stripe idempotency key (Stripe answers what it answered the first time).
    if (row.status !== 'initialized' && row.status !== 'failed') return { row, replayed: true };
  }
  let customer: ResolvedCustomer | undefined;
  /** from here on findOrCreateCustomer owns the claim (it keeps it when the outcome is unknown) */
  let customerAttempted = false;
  let session: Stripe.Checkout.Session;
  try {
    if (!isConnected(first.connection)) {
      throw new AppError('NOT_CONNECTED', `The ${environment} environment is not connected to Stripe`);
    }
    const lineItems = resolveLineItems(body, first.prices);
    const stripe = createStripeClient(await decryptSecretKey(ctx.env, first.connection), ctx.env);
    customerAttempted = true;
    customer = await runtimeStripeCall('create customer', () =>
      findOrCreateCustomer(ctx, stripe, {
        environment,
        subject,
        lookup: first.lookup,
        email: body.customerEmail,
      }),
    );
    const params = sessionParams(request, row.id, lineItems, customer.stripeCustomerId);
    session = await runtimeStripeCall('create checkout session', () =>
      stripe.checkout.sessions.create(params, { idempotencyKey: `paywire-checkout-${row.id}` }),
    );
  } catch (err) {
    const failure = err instanceof AppError ? err : runtimeStripeError(err, 'create checkout session');
    await recordFailure(
      ctx,
      request,
      row,
      failure,
      customerAttempted ? null : first.lookup.claimToken,
      customer,
    );
    throw failure;
  }
  const opened = await dbCall('record checkout session', () =>
    ctx.db.batch([
      markOpen(ctx.db, row.id, {
        id: session.id,
        url: session.url,
        expiresAt: session.expires_at ? new Date(session.expires_at * 1000) : null,
        stripeCustomerId: customer!.stripeCustomerId,
      }),
      ...customerStatements(ctx, request, customer),
    ]),
  );
  return { row: opened[0][0] ?? row, replayed: first.replayed };
}

/** Our metadata on the session and on what it creates (subscription or payment intent). */
function sessionParams(
  request: CheckoutRequest,
  rowId: string,
  lineItems: Array<{ price: string; quantity: number }>,
  stripeCustomerId: string,
): Stripe.Checkout.SessionCreateParams {
  const { body, subject } = request;
  const metadata = {
    ...body.metadata,
    [CHECKOUT_ID_KEY]: rowId,
    [SUBJECT_TYPE_KEY]: subject.subjectType,
    [SUBJECT_ID_KEY]: subject.subjectId,
  };
  return {
    mode: body.mode,
    line_items: lineItems,
    customer: stripeCustomerId,
    client_reference_id: `${subject.subjectType}:${subject.subjectId}`.slice(0, 200),
    success_url: body.successUrl,
    cancel_url: body.cancelUrl,
    metadata,
    ...(body.allowPromotionCodes !== undefined ? { allow_promotion_codes: body.allowPromotionCodes } : {}),
    ...(body.mode === 'subscription'
      ? {
          subscription_data: {
            metadata,
            ...(body.trialPeriodDays ? { trial_period_days: body.trialPeriodDays } : {}),
          },
        }
      : { payment_intent_data: { metadata } }),
  };
}

/** A customer this request created gets its mapping (its claim ends) whatever happens next; a stray claim ends. */
function customerStatements(
  ctx: ServiceContext,
  request: CheckoutRequest,
  customer: ResolvedCustomer | undefined,
): Statement[] {
  if (customer?.created) return recordCreatedCustomer(ctx.db, request.environment, request.subject, customer);
  if (customer?.strayClaim)
    return [releaseClaim(ctx.db, request.environment, request.subject, customer.strayClaim)];
  return [];
}

/** Row → failed with the reason; the claim is given back, or the customer it bought recorded. */
async function recordFailure(
  ctx: ServiceContext,
  request: CheckoutRequest,
  row: CheckoutRow,
  failure: AppError,
  claimToken: string | null,
  customer: ResolvedCustomer | undefined,
) {
  const statements: Statement[] = [markFailed(ctx.db, row.id, `${failure.code}: ${failure.message}`)];
  if (customer) statements.push(...customerStatements(ctx, request, customer));
  else if (claimToken)
    statements.push(releaseClaim(ctx.db, request.environment, request.subject, claimToken));
  try {
    await ctx.db.batch(statements as [Statement, ...Statement[]]);
  } catch (err) {
    // The answer is the original failure; a stale claim is taken over after CLAIM_STALE_SECONDS.
    ctx.logger.warn('could not record the checkout failure', { rowId: row.id, error: String(err) });
  }
}
