import { and, asc, eq, inArray } from 'drizzle-orm';
import { type Environment, syncRuns } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { type PageRequest, selectPage } from '../../db/keyset';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import { requireConnection } from '../connections/repository';
import type { ServiceContext } from '../context';
import { INITIAL_CURSOR, parseCounts, parseCursor, parseDrift, SYNC_RESOURCES } from './run-state';
import { MAX_RUN_FAILURES, type SyncRunRow } from './runs';
import { runSyncPass } from './sync-pass';

/** A run as the admin API shows it: state, where it is, what it counted and corrected. */
export function syncRunView(row: SyncRunRow) {
  const cursor = parseCursor(row.cursor);
  const done = ['completed', 'canceled'].includes(row.status);
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind,
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    progress: {
      resource: done ? null : (SYNC_RESOURCES[cursor.resource] ?? null),
      resourcesDone: done ? SYNC_RESOURCES.length : Math.min(cursor.resource, SYNC_RESOURCES.length),
      resourcesTotal: SYNC_RESOURCES.length,
      page: cursor.page,
      failures: cursor.failures,
    },
    counts: parseCounts(row.counts),
    drift: parseDrift(row.drift),
  };
}
export type SyncRunView = ReturnType<typeof syncRunView>;

/**
 * POST /admin/v1/:env/sync: joins the pass that is queued, running or being retried, or
 * queues a full pass (audited); then runs a slice of it after the response (the cron tick
 * continues it). Answers the run either way.
 */
export async function startSync(
  ctx: ServiceContext,
  input: { environment: Environment },
): Promise<{ run: SyncRunView; joined: boolean }> {
  const { db } = ctx;
  const { environment } = input;
  await requireConnection(db, environment);
  const open = await dbCall('read sync runs', () =>
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
  );
  const joinable = open.find(
    (r) => r.status !== 'failed' || parseCursor(r.cursor).failures < MAX_RUN_FAILURES,
  );
  let run = joinable;
  if (!run) {
    const [[created]] = await dbCall('queue sync run', () =>
      db.batch([
        db
          .insert(syncRuns)
          .values({ environment, kind: 'full', status: 'requested', cursor: INITIAL_CURSOR })
          .returning(),
        auditStatement(ctx, { action: 'sync.start', environment, details: {} }),
      ]),
    );
    run = created!;
  }
  const pass = runSyncPass(ctx, environment, { holder: crypto.randomUUID(), allowRepair: false }).catch(
    (err) =>
      ctx.logger.warn('sync slice after POST /sync failed', { environment, error: (err as Error).message }),
  );
  ctx.defer(pass);
  return { run: syncRunView(run), joined: !!joinable };
}

export async function getSyncRun(ctx: ServiceContext, input: { environment: Environment; id: string }) {
  const [row] = await dbCall('read sync run', () =>
    ctx.db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.environment, input.environment), eq(syncRuns.id, input.id)))
      .limit(1),
  );
  if (!row) throw new AppError('NOT_FOUND', `No sync run ${input.id} in ${input.environment}`);
  return syncRunView(row);
}

/** Sync runs of an environment, newest first. */
export async function listSyncRuns(ctx: ServiceContext, input: PageRequest & { environment: Environment }) {
  const page = await selectPage(
    ctx.db,
    'list sync runs',
    syncRuns,
    [eq(syncRuns.environment, input.environment)],
    input,
  );
  return { data: page.data.map(syncRunView), nextCursor: page.nextCursor };
}
