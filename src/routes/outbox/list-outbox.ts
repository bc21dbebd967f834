import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listOutboxMessages } from '../../services/outbox/list-messages';
import { HookTopic } from '../hooks/schemas';
import { OutboxId, OutboxMessage } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/outbox',
  tags: ['outbox'],
  summary: 'Pull outbox messages after an id, in id order',
  description:
    'Pass the last id you handled as `after`; acknowledge with POST /admin/v1/{env}/outbox/ack. `nextAfter` is set when the page is full (more may follow).',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      after: OutboxId.default(0),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      topic: HookTopic.exclude(['*']).optional(),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(OutboxMessage), nextAfter: z.string().nullable() }),
      'Messages in id order',
    ),
    ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const page = await listOutboxMessages(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      ...c.req.valid('query'),
    });
    return c.json(page, 200);
  });
}
