import { createApp } from './app';
import { systemClock } from './clock';
import { type Bindings, loadConfig } from './config';
import { createLogger } from './logger';
import { createServiceContext } from './services/context';
import { deliverBatch } from './services/hooks/deliver';
import type { OutboxQueueMessage } from './services/outbox/queue';
import { runScheduledTick } from './services/sync/scheduled-tick';

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The cron tick (wrangler.toml [triggers]): missed-event catch-up and one time-boxed slice of
   * the sync per connected environment (docs/sync.md), then the webhook alerts and the re-enqueue
   * of stuck hook deliveries (docs/fulfillment.md). Work after a response is not needed here,
   * so deferred work runs inline within the tick.
   */
  async scheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext): Promise<void> {
    const requestId = `cron_${controller.scheduledTime}`;
    const logger = createLogger(env.LOG_LEVEL, { cron: controller.cron, requestId });
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(env);
    } catch (err) {
      logger.error('scheduled tick: configuration invalid', { error: (err as Error).message });
      return;
    }
    const deferred: Promise<unknown>[] = [];
    const service = createServiceContext({
      env: config,
      logger,
      clock: systemClock,
      requestId,
      actor: { kind: 'system', id: 'cron' },
      defer: (work) => deferred.push(work.catch(() => {})),
      outboxQueue: env.OUTBOX_QUEUE,
    });
    await runScheduledTick(service);
    ctx.waitUntil(Promise.all(deferred));
  },
  /**
   * The paywire-outbox Queue consumer (wrangler.toml): POSTs each delivery to the app's hook
   * endpoint and acks or retries every message once its delivery row is settled.
   */
  async queue(batch: MessageBatch<OutboxQueueMessage>, env: Bindings, ctx: ExecutionContext): Promise<void> {
    const requestId = `queue_${crypto.randomUUID().replaceAll('-', '')}`;
    const logger = createLogger(env.LOG_LEVEL, { queue: batch.queue, requestId });
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(env);
    } catch (err) {
      logger.error('queue batch: configuration invalid', { error: (err as Error).message });
      batch.retryAll({ delaySeconds: 60 });
      return;
    }
    const service = createServiceContext({
      env: config,
      logger,
      clock: systemClock,
      requestId,
      actor: { kind: 'system', id: 'queue' },
      defer: (work) => ctx.waitUntil(work),
      outboxQueue: env.OUTBOX_QUEUE,
    });
    await deliverBatch(service, batch);
  },
} satisfies ExportedHandler<Bindings, OutboxQueueMessage>;
