import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { alerts, type Environment } from '../../../drizzle/schema';
import { type PageRequest, selectPage } from '../../db/keyset';
import type { ServiceContext } from '../context';

export type AlertRow = typeof alerts.$inferSelect;
export type AlertStatusFilter = 'open' | 'resolved' | 'all';

/** Alerts of an environment, newest opened first (alerts_env_opened_idx). */
export function listAlerts(
  ctx: ServiceContext,
  input: PageRequest & { environment: Environment; status: AlertStatusFilter; kind?: string },
) {
  const status =
    input.status === 'open'
      ? isNull(alerts.resolvedAt)
      : input.status === 'resolved'
        ? isNotNull(alerts.resolvedAt)
        : undefined;
  return selectPage(
    ctx.db,
    'list alerts',
    alerts,
    [
      and(
        eq(alerts.environment, input.environment),
        status,
        input.kind ? eq(alerts.kind, input.kind) : undefined,
      ),
    ],
    input,
    alerts.openedAt,
  );
}
