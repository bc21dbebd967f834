import { type SQL, sql } from 'drizzle-orm';
import { ENVIRONMENTS, type Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import { DEFAULT_THRESHOLDS } from './settings';

export type EnvironmentAlertKind = 'webhook_failures' | 'webhook_backlog';

export interface AlertEvaluation {
  environment: Environment;
  failedEvents: number;
  backlog: number;
  /** kinds opened by this evaluation (an alert already open is not opened again) */
  opened: EnvironmentAlertKind[];
  /** kinds resolved by this evaluation */
  resolved: EnvironmentAlertKind[];
}

/**
 * The environment-wide alerts, evaluated by the cron tick (the payment_failures alert is
 * evaluated by the database as payments fail, migrations 0023/0024):
 * - webhook_failures: webhook events in `failed` >= webhook_failures;
 * - webhook_backlog: events still `pending` received more than backlog_minutes ago >= webhook_backlog.
 * Each opens one alert (dedupe key = its kind) with its alert.raised outbox message, in one
 * transaction (paywire.raise_alert), and is resolved by the first evaluation below the threshold.
 */
export async function evaluateAlerts(
  ctx: ServiceContext,
  environment: Environment,
): Promise<AlertEvaluation> {
  const [result] = await evaluateEnvironments(ctx, [environment]);
  return result!;
}

/**
 * Evaluates several environments in at most two round trips: one statement reads every input,
 * one batch applies the changes (none when nothing changes).
 */
async function evaluateEnvironments(
  ctx: ServiceContext,
  environments: readonly Environment[],
): Promise<AlertEvaluation[]> {
  const inputs = await readAlertInputs(ctx, environments);
  const evaluations: AlertEvaluation[] = [];
  const statements: SQL[] = [];
  for (const input of inputs) {
    const { environment, failedEvents, backlog, open } = input;
    const checks = alertChecks(input);
    const toOpen = checks.filter((c) => c.breached && !open.includes(c.kind));
    const toResolve = checks.filter((c) => !c.breached && open.includes(c.kind));
    for (const c of toOpen)
      statements.push(
        sql`select paywire.raise_alert(${environment}, ${c.kind}, null, null, ${c.kind}, ${c.message}, ${JSON.stringify(c.details)}::jsonb, null)`,
      );
    for (const c of toResolve)
      statements.push(
        sql`update paywire.alerts set resolved_at = now() where environment = ${environment} and dedupe_key = ${c.kind} and resolved_at is null`,
      );
    evaluations.push({
      environment,
      failedEvents,
      backlog,
      opened: toOpen.map((c) => c.kind),
      resolved: toResolve.map((c) => c.kind),
    });
  }
  const [first, ...rest] = statements.map((s) => ctx.db.execute(s));
  if (first) await dbCall('evaluate alerts', () => ctx.db.batch([first, ...rest]));
  return evaluations;
}

interface AlertInputs {
  environment: Environment;
  webhookFailures: number;
  webhookBacklog: number;
  backlogMinutes: number;
  failedEvents: number;
  backlog: number;
  /** dedupe keys of the open environment alerts */
  open: string[];
}

function alertChecks(i: AlertInputs) {
  return [
    {
      kind: 'webhook_failures' as const,
      breached: i.failedEvents >= i.webhookFailures,
      message: `${i.failedEvents} webhook events failed in ${i.environment} (threshold ${i.webhookFailures})`,
      details: { failed: i.failedEvents, threshold: i.webhookFailures },
    },
    {
      kind: 'webhook_backlog' as const,
      breached: i.backlog >= i.webhookBacklog,
      message: `${i.backlog} webhook events pending for more than ${i.backlogMinutes} minutes in ${i.environment} (threshold ${i.webhookBacklog})`,
      details: { pending: i.backlog, threshold: i.webhookBacklog, minutes: i.backlogMinutes },
    },
  ];
}

/**
 * Thresholds (the defaults without a settings row), both counts (webhook_events_env_status_idx:
 * partial on the few non-processed rows) and the open environment alerts, per environment, in
 * one statement.
 */
async function readAlertInputs(
  ctx: ServiceContext,
  environments: readonly Environment[],
): Promise<AlertInputs[]> {
  const now = new Date(ctx.clock.now() * 1000).toISOString();
  const d = DEFAULT_THRESHOLDS;
  const result = await dbCall('read alert inputs', () =>
    ctx.db.execute(sql`
      select e.environment,
             coalesce(s.webhook_failures, ${d.webhookFailures})::int as "webhookFailures",
             coalesce(s.webhook_backlog, ${d.webhookBacklog})::int as "webhookBacklog",
             coalesce(s.backlog_minutes, ${d.backlogMinutes})::int as "backlogMinutes",
             (select count(*) from paywire.webhook_events w
               where w.environment = e.environment and w.processing_status = 'failed')::int as "failedEvents",
             (select count(*) from paywire.webhook_events w
               where w.environment = e.environment and w.processing_status = 'pending'
                 and w.received_at < ${now}::timestamptz
                                     - make_interval(mins => coalesce(s.backlog_minutes, ${d.backlogMinutes})))::int
               as "backlog",
             array(select a.dedupe_key from paywire.alerts a
                    where a.environment = e.environment and a.resolved_at is null
                      and a.dedupe_key in ('webhook_failures', 'webhook_backlog')) as "open"
        from unnest(${`{${environments.join(',')}}`}::text[]) as e(environment)
        left join paywire.alert_settings s on s.environment = e.environment
       order by e.environment`),
  );
  return (result.rows as unknown as AlertInputs[]).map((r) => ({
    ...r,
    failedEvents: Number(r.failedEvents),
    backlog: Number(r.backlog),
    open: r.open ?? [],
  }));
}

/** For the cron tick: both environments in one read; a failure is logged and does not stop the tick. */
export async function evaluateAlertsEveryEnvironment(ctx: ServiceContext): Promise<void> {
  try {
    for (const result of await evaluateEnvironments(ctx, ENVIRONMENTS))
      if (result.opened.length || result.resolved.length) ctx.logger.warn('alerts changed', { ...result });
  } catch (err) {
    const error = redact(err instanceof Error ? err.message : String(err)).slice(0, 500);
    ctx.logger.error('alert evaluation failed', { error });
  }
}
