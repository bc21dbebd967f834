import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { RETRY_FAILED_MAX, retryFailedEvents } from '../../services/webhooks/retry-failed-events';

export const RetryReport = z
  .object({
    attempted: z.number().int(),
    processed: z.number().int(),
    failed: z.number().int(),
    remaining: z
      .number()
      .int()
      .openapi({ description: 'failed events still waiting: call again to continue' }),
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
  summary: `Replay failed events, oldest first, up to limit (at most ${RETRY_FAILED_MAX} per call)`,
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(RETRY_FAILED_MAX).default(RETRY_FAILED_MAX),
    }),
  },
  responses: {
    200: jsonContent(RetryReport, 'What happened to each, and how many remain'),
    ...errorResponses(...ADMIN_ERRORS, 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const report = await retryFailedEvents(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      limit: c.req.valid('query').limit,
    });
    return c.json(report, 200);
  });
}
