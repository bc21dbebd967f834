import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { recordAudit } from '../../services/audit/record-audit';
import { retryFailedEvents } from '../../services/webhooks/admin-events';

const RetryReport = z
  .object({
    attempted: z.number().int(),
    processed: z.number().int(),
    failed: z.number().int(),
    results: z.array(
      z.object({
        eventId: z.string(),
        status: z.enum(['processed', 'duplicate', 'ignored', 'failed']),
        error: z.string().optional(),
      }),
    ),
  })
  .openapi('RetryReport');

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/events/retry-failed',
  tags: ['events'],
  summary: 'Replay every failed event (oldest first, up to limit)',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
  },
  responses: {
    200: jsonContent(RetryReport, 'What happened to each'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { actor } = await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const db = c.var.db();
    const report = await retryFailedEvents(db, environment, c.req.valid('query').limit, c.var.logger);
    await recordAudit(db, {
      actor,
      action: 'event.retry_failed',
      environment,
      details: { attempted: report.attempted, processed: report.processed, failed: report.failed },
      requestId: c.var.requestId,
    });
    return c.json(report, 200);
  });
}
