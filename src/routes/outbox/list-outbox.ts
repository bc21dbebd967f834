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
  summary: 'Pull outbox messages after an id, in commit order',
  description:
    'Pass the last id you handled as `after` (0: from the start); acknowledge with POST /admin/v1/{env}/outbox/ack. `nextAfter` is set when the page is full (more may follow). Ids are taken when a message is written and transactions commit out of id order, so messages come in (writing transaction, id) order and a message is listed only once every transaction older than its own has finished: one committed later always comes after the ones already listed, so `after` never steps over it. Ids are therefore not always increasing within a page; dedupe on them (at least once).',
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
      'Messages in commit order',
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
