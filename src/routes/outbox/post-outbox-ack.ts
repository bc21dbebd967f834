import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_BODY_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { ackOutboxMessages } from '../../services/outbox/ack-messages';
import { OutboxId } from './schemas';

const AckBody = z
  .union([
    z.object({ ids: z.array(OutboxId).min(1).max(1000) }).strict(),
    z.object({ up_to: OutboxId }).strict(),
  ])
  .openapi('OutboxAck');

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/outbox/ack',
  tags: ['outbox'],
  summary: 'Acknowledge pulled messages (by ids, or every one up to an id)',
  description:
    'Idempotent: `acked` counts the messages this call marked. `up_to` marks the messages a listing returns up to and including that id, in the same order (commit order, see GET /admin/v1/{env}/outbox): never one whose transaction is still running, nor one committed after it.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: true, content: { 'application/json': { schema: AckBody } } },
  },
  responses: {
    200: jsonContent(z.object({ acked: z.number().int() }), 'Acknowledged'),
    ...errorResponses(...ADMIN_BODY_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const result = await ackOutboxMessages(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      ...('ids' in body ? { ids: body.ids } : { upTo: body.up_to }),
    });
    return c.json(result, 200);
  });
}
