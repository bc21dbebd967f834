import { eq } from 'drizzle-orm';
import { alertSettings, type Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';

export interface AlertThresholds {
  /** failed payments in a row for one subject */
  paymentFailures: number;
  /** webhook events in `failed` */
  webhookFailures: number;
  /** webhook events still pending after backlogMinutes */
  webhookBacklog: number;
  backlogMinutes: number;
}

/** The thresholds an environment has when it has no alert_settings row (the column defaults). */
export const DEFAULT_THRESHOLDS: AlertThresholds = {
  paymentFailures: 3,
  webhookFailures: 10,
  webhookBacklog: 100,
  backlogMinutes: 15,
};

export interface AlertSettings extends AlertThresholds {
  environment: Environment;
  /** null while the environment uses the defaults */
  updatedAt: Date | null;
}

const toSettings = (
  environment: Environment,
  row: typeof alertSettings.$inferSelect | undefined,
): AlertSettings =>
  row
    ? {
        environment,
        paymentFailures: row.paymentFailures,
        webhookFailures: row.webhookFailures,
        webhookBacklog: row.webhookBacklog,
        backlogMinutes: row.backlogMinutes,
        updatedAt: row.updatedAt,
      }
    : { environment, ...DEFAULT_THRESHOLDS, updatedAt: null };

/** The statement that reads an environment's settings row (none = the defaults). */
export function selectAlertSettings(ctx: Pick<ServiceContext, 'db'>, environment: Environment) {
  return ctx.db.select().from(alertSettings).where(eq(alertSettings.environment, environment));
}

export async function getAlertSettings(
  ctx: ServiceContext,
  environment: Environment,
): Promise<AlertSettings> {
  const rows = await dbCall('read alert settings', () => selectAlertSettings(ctx, environment));
  return toSettings(environment, rows[0]);
}

/**
 * Changes some thresholds of an environment (the others keep their value, or the default), with
 * its audit entry in the same transaction. Payment failure alerts use the new value from the
 * next failure on; webhook alerts from the next cron tick.
 */
export async function updateAlertSettings(
  ctx: ServiceContext,
  input: { environment: Environment } & Partial<AlertThresholds>,
): Promise<AlertSettings> {
  const { environment, ...changes } = input;
  const set = Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<AlertThresholds>;
  const [rows] = await dbCall('update alert settings', () =>
    ctx.db.batch([
      ctx.db
        .insert(alertSettings)
        .values({ environment, ...DEFAULT_THRESHOLDS, ...set })
        .onConflictDoUpdate({ target: alertSettings.environment, set })
        .returning(),
      auditStatement(ctx, {
        action: 'alerts.settings.update',
        environment,
        target: environment,
        details: set,
      }),
    ]),
  );
  return toSettings(environment, rows[0]);
}
