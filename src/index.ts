import { createApp } from './app';
import type { Bindings } from './config';
import { createLogger } from './logger';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller: ScheduledController, env: Bindings, _ctx: ExecutionContext): Promise<void> {
    const logger = createLogger(env.LOG_LEVEL, { cron: controller.cron });
    // The repair sync lands with the sync issue (#11); until then the tick is only recorded.
    logger.info('scheduled tick', { scheduledTime: new Date(controller.scheduledTime).toISOString() });
  },
} satisfies ExportedHandler<Bindings>;
