import { createApp } from './app';
import { systemClock } from './clock';
import { type Bindings, loadConfig } from './config';
import { createLogger } from './logger';
import { createServiceContext } from './services/context';
import { runScheduledTick } from './services/sync/scheduled-tick';

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The cron tick (wrangler.toml [triggers]): missed-event catch-up and one time-boxed slice of
   * the sync per connected environment (docs/sync.md). Work after a response is not needed here,
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
    });
    await runScheduledTick(service);
    ctx.waitUntil(Promise.all(deferred));
  },
} satisfies ExportedHandler<Bindings>;
