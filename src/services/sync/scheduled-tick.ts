import { ENVIRONMENTS } from '../../../drizzle/schema';
import { redact } from '../../redact';
import { evaluateAlertsEveryEnvironment } from '../alerts/evaluate-alerts';
import type { ServiceContext } from '../context';
import { requeueStuckDeliveries } from '../hooks/requeue-stuck';
import { type PassOutcome, runSyncPass } from './sync-pass';

/**
 * What a cron tick does (`scheduled` in src/index.ts): for each environment in turn, catch up
 * missed events and run one slice of its sync (queued runs first, then the periodic repair),
 * skipping environments that are not connected or whose lease another invocation holds.
 * An environment's failure is logged and does not stop the other.
 */
export async function runScheduledTick(ctx: ServiceContext): Promise<PassOutcome[]> {
  const holder = crypto.randomUUID();
  const outcomes: PassOutcome[] = [];
  for (const environment of ENVIRONMENTS) {
    try {
      outcomes.push(await runSyncPass(ctx, environment, { holder, allowRepair: true }));
    } catch (err) {
      const error = redact(err instanceof Error ? err.message : String(err)).slice(0, 500);
      ctx.logger.error('sync tick failed for an environment', { environment, error });
      outcomes.push({ environment, outcome: 'failed', error, stripeCalls: 0, dbRoundTrips: 0 });
    }
  }
  await evaluateAlertsEveryEnvironment(ctx);
  ctx.logger.info('sync tick', { outcomes });
  // Outbox deliveries lost between a commit and the Queue (never the dead ones): docs/fulfillment.md
  await requeueStuckDeliveries(ctx).catch((err) =>
    ctx.logger.error('requeue of stuck hook deliveries failed', {
      error: redact(err instanceof Error ? err.message : String(err)).slice(0, 500),
    }),
  );
  return outcomes;
}
