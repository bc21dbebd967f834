import { and, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import {
  alerts,
  connections,
  ENVIRONMENTS,
  type Environment,
  syncRuns,
  webhookEvents,
} from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { dbCall } from '../../db/errors';
import { STRIPE_API_VERSION } from '../../stripe/client';
import type { ServiceContext } from '../context';
import { PROJECTED_EVENT_TYPES } from '../projection';
import { driftSummary } from '../sync/drift-summary';

export interface EnvironmentStatus {
  environment: Environment;
  connected: boolean;
  account: { id: string; name: string | null } | null;
  maskedKey: string | null;
  keyKind: string | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
  webhookEndpoint: {
    id: string;
    url: string | null;
    apiVersion: string | null;
    enabledEvents: number;
    /** same API version and event list as this Paywire build projects */
    upToDate: boolean;
  } | null;
  events: {
    lastReceivedAt: Date | null;
    lastEventId: string | null;
    lastEventType: string | null;
    /** seconds since the last event was received */
    lastEventAgeSeconds: number | null;
    pending: number;
    failed: number;
  };
  lastSync: {
    id: string;
    kind: string;
    status: string;
    startedAt: Date;
    finishedAt: Date | null;
    counts: unknown;
    drift: unknown;
    error: string | null;
  } | null;
  /** open alerts (docs/fulfillment.md): how many, and the newest few */
  alerts: {
    open: number;
    latest: Array<{
      id: string;
      kind: string;
      subjectType: string | null;
      subjectId: string | null;
      message: string;
      openedAt: Date;
    }>;
  };
  /** the newest completed sync pass and what it corrected (docs/sync.md) */
  lastRepair: {
    id: string;
    kind: string;
    finishedAt: Date;
    ageSeconds: number;
    summary: string;
  } | null;
}

export interface Status {
  generatedAt: Date;
  stripeApiVersion: string;
  projectedEventTypes: number;
  environments: Record<Environment, EnvironmentStatus>;
}

type StatusRows = Awaited<ReturnType<typeof readStatusRows>>;

/** Open alerts listed per environment in the status (all of them: GET …/alerts). */
const OPEN_ALERTS_SHOWN = 10;

/**
 * GET /admin/v1/status: what the database says about each environment (no Stripe call, so it
 * answers even when Stripe or a key is broken), read in one round trip.
 */
export async function getStatus(ctx: ServiceContext): Promise<Status> {
  const rows = await readStatusRows(ctx.db);
  const now = ctx.clock.now();
  const environments = {} as Record<Environment, EnvironmentStatus>;
  for (const environment of ENVIRONMENTS)
    environments[environment] = environmentStatus(environment, rows, now);
  return {
    generatedAt: new Date(now * 1000),
    stripeApiVersion: STRIPE_API_VERSION,
    projectedEventTypes: PROJECTED_EVENT_TYPES.length,
    environments,
  };
}

/**
 * Connections, the last event and last sync per environment, and counts of the (few) pending
 * and failed events only, so the cost does not grow with the number of processed events.
 */
async function readStatusRows(db: Db) {
  const lastEvent = (environment: Environment) =>
    db
      .select({
        environment: webhookEvents.environment,
        stripeEventId: webhookEvents.stripeEventId,
        type: webhookEvents.type,
        receivedAt: webhookEvents.receivedAt,
      })
      .from(webhookEvents)
      .where(eq(webhookEvents.environment, environment))
      .orderBy(desc(webhookEvents.receivedAt))
      .limit(1);
  const lastSync = (environment: Environment) =>
    db
      .select()
      .from(syncRuns)
      .where(eq(syncRuns.environment, environment))
      .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
      .limit(1);
  // The newest finished pass, for "last repair 12 min ago: 3 subscriptions corrected".
  const lastCompleted = (environment: Environment) =>
    db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.environment, environment), eq(syncRuns.status, 'completed')))
      .orderBy(desc(syncRuns.finishedAt))
      .limit(1);
  const openAlerts = (environment: Environment) =>
    db
      .select({
        environment: alerts.environment,
        id: alerts.id,
        kind: alerts.kind,
        subjectType: alerts.subjectType,
        subjectId: alerts.subjectId,
        message: alerts.message,
        openedAt: alerts.openedAt,
      })
      .from(alerts)
      .where(and(eq(alerts.environment, environment), isNull(alerts.resolvedAt)))
      .orderBy(desc(alerts.openedAt), desc(alerts.id))
      .limit(OPEN_ALERTS_SHOWN);
  const [
    connectionRows,
    lastTest,
    lastLive,
    eventCounts,
    syncTest,
    syncLive,
    doneTest,
    doneLive,
    alertCounts,
    alertsTest,
    alertsLive,
  ] = await dbCall('read status', () =>
    db.batch([
      db.select().from(connections),
      lastEvent('test'),
      lastEvent('live'),
      db
        .select({
          environment: webhookEvents.environment,
          status: webhookEvents.processingStatus,
          n: count(),
        })
        .from(webhookEvents)
        .where(inArray(webhookEvents.processingStatus, ['pending', 'failed']))
        .groupBy(webhookEvents.environment, webhookEvents.processingStatus),
      lastSync('test'),
      lastSync('live'),
      lastCompleted('test'),
      lastCompleted('live'),
      db
        .select({ environment: alerts.environment, n: count() })
        .from(alerts)
        .where(isNull(alerts.resolvedAt))
        .groupBy(alerts.environment),
      openAlerts('test'),
      openAlerts('live'),
    ]),
  );
  return {
    connectionRows,
    lastEvents: [...lastTest, ...lastLive],
    eventCounts,
    lastSyncs: [...syncTest, ...syncLive],
    lastCompleted: [...doneTest, ...doneLive],
    alertCounts,
    openAlerts: [...alertsTest, ...alertsLive],
  };
}

function environmentStatus(environment: Environment, rows: StatusRows, now: number): EnvironmentStatus {
  const c = rows.connectionRows.find((r) => r.environment === environment) ?? null;
  const connected = !!c && c.disconnectedAt === null && !!c.secretKeyCiphertext;
  const last = rows.lastEvents.find((r) => r.environment === environment) ?? null;
  const counts = Object.fromEntries(
    rows.eventCounts.filter((r) => r.environment === environment).map((r) => [r.status, Number(r.n)]),
  ) as Record<string, number>;
  const sync = rows.lastSyncs.find((r) => r.environment === environment) ?? null;
  const repair = rows.lastCompleted.find((r) => r.environment === environment) ?? null;
  return {
    environment,
    connected,
    account: c ? { id: c.accountId, name: c.accountName } : null,
    maskedKey: connected ? c.secretKeyMasked : null,
    keyKind: connected ? c.keyKind : null,
    connectedAt: c?.connectedAt ?? null,
    disconnectedAt: c?.disconnectedAt ?? null,
    webhookEndpoint: connected ? endpointStatus(c) : null,
    events: {
      lastReceivedAt: last?.receivedAt ?? null,
      lastEventId: last?.stripeEventId ?? null,
      lastEventType: last?.type ?? null,
      lastEventAgeSeconds: last ? Math.max(0, now - Math.floor(last.receivedAt.getTime() / 1000)) : null,
      pending: counts.pending ?? 0,
      failed: counts.failed ?? 0,
    },
    lastSync: sync
      ? {
          id: sync.id,
          kind: sync.kind,
          status: sync.status,
          startedAt: sync.startedAt,
          finishedAt: sync.finishedAt,
          counts: sync.counts,
          drift: sync.drift,
          error: sync.error,
        }
      : null,
    alerts: {
      open: Number(rows.alertCounts.find((r) => r.environment === environment)?.n ?? 0),
      latest: rows.openAlerts
        .filter((r) => r.environment === environment)
        .map(({ environment: _, ...alert }) => alert),
    },
    lastRepair: repair?.finishedAt
      ? {
          id: repair.id,
          kind: repair.kind,
          finishedAt: repair.finishedAt,
          ageSeconds: Math.max(0, now - Math.floor(repair.finishedAt.getTime() / 1000)),
          summary: driftSummary(repair.drift),
        }
      : null,
  };
}

function endpointStatus(c: StatusRows['connectionRows'][number]): EnvironmentStatus['webhookEndpoint'] {
  if (!c.webhookEndpointId) return null;
  const expectedEvents = [...PROJECTED_EVENT_TYPES].sort().join(',');
  return {
    id: c.webhookEndpointId,
    url: c.webhookEndpointUrl,
    apiVersion: c.webhookApiVersion,
    enabledEvents: c.webhookEnabledEvents?.length ?? 0,
    upToDate:
      c.webhookApiVersion === STRIPE_API_VERSION &&
      [...(c.webhookEnabledEvents ?? [])].sort().join(',') === expectedEvents,
  };
}
