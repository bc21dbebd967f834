import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { recordAudit } from '../../services/audit/record-audit';
import { retryEvent } from '../../services/webhooks/admin-events';
import { EventIdParam, IngestResult } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/events/{id}/retry',
  tags: ['events'],
  summary: 'Replay a failed event through the projection',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam, id: EventIdParam }) },
  responses: {
    200: jsonContent(IngestResult, 'Projected'),
    ...errorResponses(401, 403, 404, 409, 500, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { actor } = await requireAdmin(c);
    const { env, id } = c.req.valid('param');
    const environment = parseEnvironment(env);
    const db = c.var.db();
    const result = await retryEvent(db, environment, id, c.var.logger);
    await recordAudit(db, {
      actor,
      action: 'event.retry',
      environment,
      target: id,
      requestId: c.var.requestId,
    });
    return c.json(result, 200);
  });
}
