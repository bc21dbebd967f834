import { and, eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { customerClaims, customerMappings, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { stripeCall } from '../../stripe/errors';
import type { ServiceContext } from '../context';
import { mapCustomer } from '../projection/customers';
import { SUBJECT_ID_KEY, SUBJECT_TYPE_KEY } from '../projection/subjects';
import type { Statement } from '../projection/types';

export interface BillingSubjectRef {
  subjectType: string;
  subjectId: string;
}

/**
 * Exactly one Stripe customer per subject, also when many first checkouts of one subject race:
 * a UNIQUE CLAIM ROW (paywire.customer_claims, primary key = environment + subject), not an
 * advisory lock. Neon's HTTP driver has no session, so a lock could not be held across the
 * Stripe call; a row can. The request that inserts the claim creates the customer (Stripe
 * idempotency key from the claim's token) and writes the mapping; the others wait for the
 * mapping. A claim older than CLAIM_STALE_SECONDS belonged to a request that died: it is taken
 * over with the SAME token, so a customer Stripe did create for it comes back, not a second one.
 */
export const CLAIM_STALE_SECONDS = 30;
/**
 * MAPPING_AFTER_CLAIM: the mapping is read in a statement AFTER the claim insert, never only in
 * the insert's own `not exists`. Under READ COMMITTED, an insert that waited for the winner's
 * transaction (mapping written, claim deleted) still judges `not exists` by its older snapshot
 * and takes a fresh claim; the next statement sees the winner's mapping, which then wins and
 * the stray claim is given back. (Found by the 20-concurrent-checkouts test on Postgres.)
 */
/** How long a request that lost the claim waits for the winner's mapping. */
const WAIT_FOR_MAPPING_MS = 12_000;

/** The subject's mapped customer id (empty when there is none). */
export function selectMapping(db: Db, environment: Environment, s: BillingSubjectRef) {
  return db
    .select({ stripeCustomerId: customerMappings.stripeCustomerId })
    .from(customerMappings)
    .where(
      and(
        eq(customerMappings.environment, environment),
        eq(customerMappings.subjectType, s.subjectType),
        eq(customerMappings.subjectId, s.subjectId),
      ),
    )
    .limit(1);
}

/**
 * Takes the subject's customer claim when there is no mapping yet and `when` holds (SQL
 * condition, e.g. "this request still needs a session"): a fresh claim, or a stale one taken
 * over. Answers the claim's token when this statement took it, else nothing.
 */
export function claimCustomer(
  db: Db,
  environment: Environment,
  s: BillingSubjectRef,
  when: ReturnType<typeof sql> = sql`true`,
) {
  return db.execute<{ token: string }>(sql`
    insert into paywire.customer_claims as claim (environment, subject_type, subject_id)
    select ${environment}, ${s.subjectType}, ${s.subjectId}
     where not exists (select 1 from paywire.customer_mappings m
                        where m.environment = ${environment} and m.subject_type = ${s.subjectType}
                          and m.subject_id = ${s.subjectId})
       and (${when})
    on conflict (environment, subject_type, subject_id) do update set claimed_at = now()
     where claim.claimed_at < now() - make_interval(secs => ${CLAIM_STALE_SECONDS})
    returning token`);
}

/** The mapping of a customer this request created, and the end of its claim: one batch with the caller's own write. */
export function recordCreatedCustomer(
  db: Db,
  environment: Environment,
  s: BillingSubjectRef,
  created: { stripeCustomerId: string; claimToken: string },
): Statement[] {
  return [
    ...mapCustomer(db, environment, s, created.stripeCustomerId, 'paywire'),
    db
      .delete(customerClaims)
      .where(
        and(
          eq(customerClaims.environment, environment),
          eq(customerClaims.subjectType, s.subjectType),
          eq(customerClaims.subjectId, s.subjectId),
          eq(customerClaims.token, created.claimToken),
        ),
      ),
  ];
}

/** Gives a claim back without a customer (the request failed before creating one). */
export function releaseClaim(
  db: Db,
  environment: Environment,
  s: BillingSubjectRef,
  claimToken: string,
): Statement {
  return db
    .delete(customerClaims)
    .where(
      and(
        eq(customerClaims.environment, environment),
        eq(customerClaims.subjectType, s.subjectType),
        eq(customerClaims.subjectId, s.subjectId),
        eq(customerClaims.token, claimToken),
      ),
    );
}

/** What the first round trip learnt about the subject's customer. */
export interface CustomerLookup {
  stripeCustomerId: string | null;
  claimToken: string | null;
}

/**
 * The customer, and whether this request created it (then it holds the claim until it records
 * the mapping). `strayClaim`: a claim this request took although the mapping exists, to give back.
 */
export type ResolvedCustomer =
  | { stripeCustomerId: string; created: false; strayClaim: string | null }
  | { stripeCustomerId: string; created: true; claimToken: string };

/**
 * Finds or creates the subject's Stripe customer from what the first round trip found: the
 * mapping, or the claim (then create it in Stripe), or neither (another request holds the
 * claim: wait for its mapping, taking the claim over if it goes stale).
 */
export async function findOrCreateCustomer(
  ctx: ServiceContext,
  stripe: Stripe,
  input: { environment: Environment; subject: BillingSubjectRef; lookup: CustomerLookup; email?: string },
): Promise<ResolvedCustomer> {
  let { stripeCustomerId, claimToken } = input.lookup;
  const deadline = Date.now() + WAIT_FOR_MAPPING_MS;
  for (let attempt = 0; !stripeCustomerId && !claimToken; attempt++) {
    if (Date.now() > deadline) {
      throw new AppError(
        'CONFLICT',
        'Another request is creating this subject’s Stripe customer; retry shortly',
      );
    }
    await sleep(Math.min(50 * 2 ** attempt, 1000));
    // Claim first, then read the mapping in a later statement (see MAPPING_AFTER_CLAIM).
    const [claim, mapping] = await dbCall('wait for the customer mapping', () =>
      ctx.db.batch([
        claimCustomer(ctx.db, input.environment, input.subject),
        selectMapping(ctx.db, input.environment, input.subject),
      ]),
    );
    stripeCustomerId = mapping[0]?.stripeCustomerId ?? null;
    claimToken = claim.rows[0]?.token ?? null;
  }
  if (stripeCustomerId) return { stripeCustomerId, created: false, strayClaim: claimToken };
  const token = claimToken!;
  try {
    const customer = await createCustomer(stripe, { ...input, claimToken: token });
    return { stripeCustomerId: customer.id, created: true, claimToken: token };
  } catch (err) {
    // Stripe refused: no customer exists, the next request may claim at once. Unknown outcome
    // (unreachable, 5xx, timeout): the claim stays, and whoever takes it over once it is stale
    // retries with the same idempotency key, so a customer Stripe did create is not duplicated.
    if (stripeRefused(err)) {
      await ctx.db
        .batch([releaseClaim(ctx.db, input.environment, input.subject, token)])
        .catch((e) => ctx.logger.warn('could not give back the customer claim', { error: String(e) }));
    }
    throw err;
  }
}

function createCustomer(
  stripe: Stripe,
  input: { environment: Environment; subject: BillingSubjectRef; email?: string; claimToken: string },
) {
  return stripeCall('create customer', () =>
    stripe.customers.create(
      {
        ...(input.email ? { email: input.email } : {}),
        metadata: {
          [SUBJECT_TYPE_KEY]: input.subject.subjectType,
          [SUBJECT_ID_KEY]: input.subject.subjectId,
          paywire_environment: input.environment,
        },
      },
      // The same token after a takeover: Stripe answers the customer the dead request created.
      { idempotencyKey: `paywire-customer-${input.claimToken}` },
    ),
  );
}

/** Did Stripe answer with a refusal (so it certainly created nothing)? */
function stripeRefused(err: unknown): boolean {
  const cause = err instanceof AppError ? err.cause : err;
  return (
    cause instanceof Stripe.errors.StripeInvalidRequestError ||
    cause instanceof Stripe.errors.StripeAuthenticationError ||
    cause instanceof Stripe.errors.StripePermissionError
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
