import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { checkDatabase } from '../../services/health/check-database';

const Health = z
  .object({ status: z.literal('ok'), database: z.object({ latencyMs: z.number() }) })
  .openapi('Health');

export const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness and database reachability',
  responses: {
    200: jsonContent(Health, 'The Worker is up and Postgres answers'),
    ...errorResponses('DB_UNAVAILABLE'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) =>
    c.json({ status: 'ok' as const, database: await checkDatabase(c.var.ctx) }, 200),
  );
}
