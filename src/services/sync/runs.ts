import { and, asc, desc, eq, inArray, lte, ne, type SQL, sql } from 'drizzle-orm';
import { type Environment, syncRuns, syncSeen } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import type { Statement } from '../projection/types';
import { INITIAL_CURSOR, type RunCounts, type RunCursor, type RunDrift } from './run-state';

export type SyncRunRow = typeof syncRuns.$inferSelect;

/** A run that failed this many slices in a row stays `failed`; the next periodic repair starts afresh. */
export const MAX_RUN_FAILURES = 5;

/**
 * Which run a slice works on, in this order: one that is `running` (an earlier slice ran out
 * of time), one that `failed` fewer than MAX_RUN_FAILURES times in a row (retried from its
 * cursor), the oldest `requested` one (a connection change or POST /sync), and otherwise a new
 * periodic repair when the last finished run is older than the repair interval. Null: nothing
 * to do this tick.
 */
export async function pickRun(
  db: Db,
  environment: Environment,
  options: { repairIntervalMinutes: number; allowRepair: boolean },
): Promise<SyncRunRow | null> {
  const [open, [lastFinished]] = await db.batch([
    db
      .select()
      .from(syncRuns)
      .where(
        and(
          eq(syncRuns.environment, environment),
          inArray(syncRuns.status, ['running', 'failed', 'requested']),
        ),
      )
      .orderBy(asc(syncRuns.startedAt), asc(syncRuns.id)),
    db
      .select({ finishedAt: syncRuns.finishedAt })
      .from(syncRuns)
      .where(and(eq(syncRuns.environment, environment), inArray(syncRuns.status, ['completed', 'failed'])))
      .orderBy(desc(syncRuns.finishedAt))
      .limit(1),
  ]);
  const failures = (r: SyncRunRow) => (r.cursor as Partial<RunCursor>)?.failures ?? 0;
  const chosen =
    open.find((r) => r.status === 'running') ??
    open.find((r) => r.status === 'failed' && failures(r) < MAX_RUN_FAILURES) ??
    open.find((r) => r.status === 'requested');
  if (chosen) return chosen;
  if (!options.allowRepair) return null;
  const due =
    !lastFinished?.finishedAt ||
    Date.now() - lastFinished.finishedAt.getTime() >= options.repairIntervalMinutes * 60_000;
  if (!due) return null;
  const [created] = await db
    .insert(syncRuns)
    .values({ environment, kind: 'cron', status: 'requested', cursor: INITIAL_CURSOR })
    .returning();
  return created ?? null;
}

/** The run becomes `running`; a requested run's clock starts now (its sweep guard is this time). */
export function markRunning(db: Db, run: SyncRunRow): Statement {
  return db
    .update(syncRuns)
    .set({
      status: 'running',
      ...(run.status === 'requested' ? { startedAt: sql`now()` as unknown as Date } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(syncRuns.id, run.id))
    .returning({ startedAt: syncRuns.startedAt }) as unknown as Statement;
}

/** Cursor (and the counts as of the previous write) saved in the same transaction as the rows. */
export function progressStatement(
  db: Db,
  runId: string,
  state: { cursor: RunCursor; counts: RunCounts; drift: RunDrift },
): Statement {
  return db
    .update(syncRuns)
    .set({ cursor: state.cursor, counts: state.counts, drift: state.drift, updatedAt: sql`now()` })
    .where(eq(syncRuns.id, runId)) as unknown as Statement;
}

/** End of a slice: completed, still running (out of time), or failed with its reason. */
export function sliceEndStatements(
  db: Db,
  run: { id: string; environment: Environment; startedAt: Date },
  outcome: { status: 'completed' | 'running' | 'failed'; error: string | null },
  state: { cursor: RunCursor; counts: RunCounts; drift: RunDrift },
): Statement[] {
  const finished = outcome.status === 'running' ? {} : { finishedAt: sql`now()` as unknown as Date };
  const statements: Statement[] = [
    db
      .update(syncRuns)
      .set({ status: outcome.status, error: outcome.error, ...state, ...finished, updatedAt: sql`now()` })
      .where(eq(syncRuns.id, run.id)) as unknown as Statement,
  ];
  // Ids seen by runs that will never sweep (canceled, abandoned after MAX_RUN_FAILURES, or a
  // late write of a slice that outlived its run's cancel): dropped here, in the same round trip.
  statements.push(
    db
      .delete(syncSeen)
      .where(
        and(
          eq(syncSeen.environment, run.environment),
          sql`not exists (select 1 from ${syncRuns} r where r.id = ${syncSeen.runId} and (r.status in ('requested', 'running') or (r.status = 'failed' and coalesce((r.cursor->>'failures')::int, 0) < ${MAX_RUN_FAILURES})))`,
        ),
      ) as unknown as Statement,
  );
  if (outcome.status === 'completed') {
    // Requests queued before this pass started are satisfied by it.
    statements.push(
      db
        .update(syncRuns)
        .set({
          status: 'canceled',
          error: `satisfied by run ${run.id}`,
          finishedAt: sql`now()` as unknown as Date,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(syncRuns.environment, run.environment),
            eq(syncRuns.status, 'requested'),
            ne(syncRuns.id, run.id),
            lte(syncRuns.startedAt, run.startedAt),
          ),
        ) as unknown as Statement,
    );
  }
  return statements;
}

/**
 * End of a slice whose last chunk write failed without an answer (it may have committed with its
 * cursor and counts): only the failure is recorded and what the slice spent is added in SQL, so
 * the database's cursor and counts (exact either way) are kept.
 */
export function failedAfterUnknownWriteStatement(
  db: Db,
  runId: string,
  input: { error: string | null; stripeCalls: number; dbRoundTrips: number; durationMs: number },
): Statement {
  const add = (inner: SQL, key: string, n: number) =>
    sql`jsonb_set(${inner}, ${`{${key}}`}::text[], to_jsonb(coalesce((counts->>${key})::int, 0) + ${n}::int))`;
  let counts = sql`counts`;
  counts = add(counts, 'stripeCalls', input.stripeCalls);
  counts = add(counts, 'dbRoundTrips', input.dbRoundTrips);
  counts = add(counts, 'slices', 1);
  counts = add(counts, 'durationMs', input.durationMs);
  return db
    .update(syncRuns)
    .set({
      status: 'failed',
      error: input.error,
      cursor: sql`jsonb_set(cursor, '{failures}', to_jsonb(coalesce((cursor->>'failures')::int, 0) + 1))`,
      counts: counts as unknown as RunCounts,
      finishedAt: sql`now()` as unknown as Date,
      updatedAt: sql`now()`,
    } as never)
    .where(eq(syncRuns.id, runId)) as unknown as Statement;
}

export async function getRun(db: Db, environment: Environment, id: string): Promise<SyncRunRow | null> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.environment, environment), eq(syncRuns.id, id)))
    .limit(1);
  return row ?? null;
}
