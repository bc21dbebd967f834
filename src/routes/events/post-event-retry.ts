import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { retryEvent } from '../../services/webhooks/retry-event';
import { EventIdParam, IngestResult } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/events/{id}/retry',
  tags: ['events'],
  summary: 'Replay a failed event through the projection',
  description:
    'A 409 when the event is already processed or ignored, or still cannot be processed (a malformed body, or data Postgres refuses); the reason is in the message.',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam, id: EventIdParam }) },
  responses: {
    200: jsonContent(IngestResult, 'Projected'),
    ...errorResponses(
      ...ADMIN_ERRORS,
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'NOT_FOUND',
      'CONFLICT',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const result = await retryEvent(c.var.ctx, { environment: parseEnvironment(env), eventId: id });
    return c.json({ eventId: result.eventId, type: result.type, status: result.status as 'processed' }, 200);
  });
}
