import { and, count, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { alerts, ENVIRONMENTS, type Environment, webhookEvents } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import { DEFAULT_THRESHOLDS, selectAlertSettings } from './settings';

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
 * evaluated by the database as payments fail, migration 0023):
 * - webhook_failures: webhook events in `failed` >= webhook_failures;
 * - webhook_backlog: events still `pending` received more than backlog_minutes ago >= webhook_backlog.
 * Each opens one alert (dedupe key = its kind) with its alert.raised outbox message, in one
 * transaction (paywire.raise_alert), and is resolved by the first evaluation below the threshold.
 * Two round trips: the counts, then the changes (none when nothing changes).
 */
export async function evaluateAlerts(
  ctx: ServiceContext,
  environment: Environment,
): Promise<AlertEvaluation> {
  const { failedEvents, backlog, thresholds, open } = await readAlertInputs(ctx, environment);
  const checks: Array<{ kind: EnvironmentAlertKind; breached: boolean; message: string; details: object }> = [
    {
      kind: 'webhook_failures',
      breached: failedEvents >= thresholds.webhookFailures,
      message: `${failedEvents} webhook events failed in ${environment} (threshold ${thresholds.webhookFailures})`,
      details: { failed: failedEvents, threshold: thresholds.webhookFailures },
    },
    {
      kind: 'webhook_backlog',
      breached: backlog >= thresholds.webhookBacklog,
      message: `${backlog} webhook events pending for more than ${thresholds.backlogMinutes} minutes in ${environment} (threshold ${thresholds.webhookBacklog})`,
      details: { pending: backlog, threshold: thresholds.webhookBacklog, minutes: thresholds.backlogMinutes },
    },
  ];
  const toOpen = checks.filter((c) => c.breached && !open.has(c.kind));
  const toResolve = checks.filter((c) => !c.breached && open.has(c.kind));
  const statements: SQL[] = [
    ...toOpen.map(
      (c) =>
        sql`select paywire.raise_alert(${environment}, ${c.kind}, null, null, ${c.kind}, ${c.message}, ${JSON.stringify(c.details)}::jsonb, null)`,
    ),
    ...toResolve.map(
      (c) =>
        sql`update paywire.alerts set resolved_at = now() where environment = ${environment} and dedupe_key = ${c.kind} and resolved_at is null`,
    ),
  ];
  const [first, ...rest] = statements.map((s) => ctx.db.execute(s));
  if (first) await dbCall('evaluate alerts', () => ctx.db.batch([first, ...rest]));
  return {
    environment,
    failedEvents,
    backlog,
    opened: toOpen.map((c) => c.kind),
    resolved: toResolve.map((c) => c.kind),
  };
}

/** Settings, both counts and the open environment alerts, in one round trip. */
async function readAlertInputs(ctx: ServiceContext, environment: Environment) {
  const now = new Date(ctx.clock.now() * 1000);
  // The backlog cutoff takes backlog_minutes from the settings row in the same statement.
  const minutes = sql`coalesce((select s.backlog_minutes from paywire.alert_settings s where s.environment = ${environment}), ${DEFAULT_THRESHOLDS.backlogMinutes})`;
  const byStatus = (status: string, older?: SQL) =>
    ctx.db
      .select({ n: count() })
      .from(webhookEvents)
      .where(
        and(eq(webhookEvents.environment, environment), eq(webhookEvents.processingStatus, status), older),
      );
  const [settingsRows, failed, pending, openRows] = await dbCall('read alert inputs', () =>
    ctx.db.batch([
      selectAlertSettings(ctx, environment),
      byStatus('failed'),
      byStatus(
        'pending',
        sql`${webhookEvents.receivedAt} < ${now.toISOString()}::timestamptz - make_interval(mins => ${minutes})`,
      ),
      ctx.db
        .select({ dedupeKey: alerts.dedupeKey })
        .from(alerts)
        .where(
          and(
            eq(alerts.environment, environment),
            isNull(alerts.resolvedAt),
            sql`${alerts.dedupeKey} in ('webhook_failures', 'webhook_backlog')`,
          ),
        ),
    ]),
  );
  return {
    thresholds: settingsRows[0] ?? DEFAULT_THRESHOLDS,
    failedEvents: Number(failed[0]?.n ?? 0),
    backlog: Number(pending[0]?.n ?? 0),
    open: new Set(openRows.map((r) => r.dedupeKey)),
  };
}

/** For the cron tick: evaluates every environment; a failure is logged and does not stop the tick. */
export async function evaluateAlertsEveryEnvironment(ctx: ServiceContext): Promise<void> {
  for (const environment of ENVIRONMENTS) {
    try {
      const result = await evaluateAlerts(ctx, environment);
      if (result.opened.length || result.resolved.length) ctx.logger.warn('alerts changed', { ...result });
    } catch (err) {
      const error = redact(err instanceof Error ? err.message : String(err)).slice(0, 500);
      ctx.logger.error('alert evaluation failed for an environment', { environment, error });
    }
  }
}
