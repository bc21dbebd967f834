import { sql } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Db } from './client';

type Statement = BatchItem<'pg'>;
type Statements = readonly [Statement, ...Statement[]];

/** The verified JWT claims of the end user on whose behalf statements run (RLS reads them). */
export interface CallerClaims {
  claims: { sub: string } & Record<string, unknown>;
}

/**
 * The two statements that make the rest of a transaction run as the caller: the verified JWT
 * claims as `request.jwt.claims` (read by paywire.caller_id() / caller_can_access()) and the
 * `authenticated` role, both transaction-local (`true` / SET LOCAL), so nothing outlives the batch.
 */
export function becomeCaller(db: Db, caller: CallerClaims): [Statement, Statement] {
  return [
    db.execute(sql`select set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`),
    db.execute(sql`set local role authenticated`),
  ];
}

/** Back to the connecting (owner) role for the rest of the transaction. */
export function becomeOwner(db: Db): Statement {
  return db.execute(sql`reset role`);
}

/**
 * Runs `statements` AS THE CALLER in one `db.batch` (one transaction, one Neon round trip):
 * RLS policies decide what they may read and write; a refused write (42501) aborts the whole
 * batch. Answers the statements' results, without the preamble's.
 */
export async function batchAsCaller<T extends Statements>(
  db: Db,
  caller: CallerClaims,
  statements: T,
): Promise<BatchResponse<T>> {
  const results = await db.batch([...becomeCaller(db, caller), ...statements] as unknown as Statements);
  return (results as readonly unknown[]).slice(2) as BatchResponse<T>;
}

/**
 * One transaction that runs `asCaller` under RLS and then, after RESET ROLE, `asOwner` with the
 * Worker's own rights (reads the caller may not make: prices, the Stripe connection, claims).
 * The owner statements run only if every caller statement succeeded (it is one transaction), so
 * a refused write leaves nothing behind. Answers [caller results, owner results].
 */
export async function batchAsCallerThenOwner<T extends Statements, U extends Statements>(
  db: Db,
  caller: CallerClaims,
  asCaller: T,
  asOwner: U,
): Promise<[BatchResponse<T>, BatchResponse<U>]> {
  const all = [...becomeCaller(db, caller), ...asCaller, becomeOwner(db), ...asOwner];
  const results = (await db.batch(all as unknown as Statements)) as readonly unknown[];
  const callerEnd = 2 + asCaller.length;
  return [results.slice(2, callerEnd) as BatchResponse<T>, results.slice(callerEnd + 1) as BatchResponse<U>];
}
