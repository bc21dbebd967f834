import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { startSync } from '../../services/sync/sync-runs';
import { SyncRun, syncRunBody } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/sync',
  tags: ['sync'],
  summary: 'Start a full sync of the environment, or join the pass already queued or running',
  description:
    'Answers at once with the run; a first slice runs after the response and the cron tick continues it. Poll GET /admin/v1/{env}/sync-runs/{id} for progress.',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam }) },
  responses: {
    202: jsonContent(
      z.object({ run: SyncRun, joined: z.boolean().describe('true: a pass was already queued or running') }),
      'The pass',
    ),
    // No body is read, but /admin/v1 refuses a non-JSON one (415) and the body limit holds (413).
    ...errorResponses(
      ...ADMIN_ERRORS,
      'NOT_FOUND',
      'NOT_CONNECTED',
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env } = c.req.valid('param');
    const { run, joined } = await startSync(c.var.ctx, { environment: parseEnvironment(env) });
    return c.json({ run: syncRunBody(run), joined }, 202);
  });
}
