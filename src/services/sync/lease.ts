import { and, eq, sql } from 'drizzle-orm';
import { type Environment, syncLeases } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import type { Statement } from '../projection/types';

/**
 * The per-environment sync lease. Taking it is ONE statement: insert the environment's row, or
 * take it over only when the current lease has expired (`lease_until < now()`, the database's
 * clock, so invocations on different machines agree). Two overlapping invocations therefore
 * cannot both get a row back. A holder that dies simply lets the lease expire.
 */
export async function takeLease(
  db: Db,
  environment: Environment,
  holder: string,
  leaseMs: number,
): Promise<{ catchUp: unknown } | null> {
  const until = sql`now() + make_interval(secs => ${leaseMs / 1000})`;
  const rows = await db
    .insert(syncLeases)
    .values({ environment, holder, leaseUntil: until as unknown as Date })
    .onConflictDoUpdate({
      target: syncLeases.environment,
      set: { holder, leaseUntil: until as unknown as Date, runId: null, updatedAt: sql`now()` },
      setWhere: sql`${syncLeases.leaseUntil} < now()`,
    })
    .returning({ catchUp: syncLeases.catchUp });
  return rows[0] ?? null;
}

/** Records which run the holder works on (shown while it runs). */
export function leaseRunStatement(
  db: Db,
  environment: Environment,
  holder: string,
  runId: string,
): Statement {
  return db
    .update(syncLeases)
    .set({ runId, updatedAt: sql`now()` })
    .where(
      and(eq(syncLeases.environment, environment), eq(syncLeases.holder, holder)),
    ) as unknown as Statement;
}

/** Gives the lease back (and stores catch-up progress); a no-op if it was taken over meanwhile. */
export function releaseLeaseStatement(
  db: Db,
  environment: Environment,
  holder: string,
  catchUp?: unknown,
): Statement {
  return db
    .update(syncLeases)
    .set({
      leaseUntil: sql`now()` as unknown as Date,
      updatedAt: sql`now()`,
      ...(catchUp === undefined ? {} : { catchUp }),
    })
    .where(
      and(eq(syncLeases.environment, environment), eq(syncLeases.holder, holder)),
    ) as unknown as Statement;
}
