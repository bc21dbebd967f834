import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { updateHookEndpoint } from '../../services/hooks/update-endpoint';
import { HOOK_WRITE_ERRORS, HookEndpoint, HookEvents, HookPath, HookUrl, hookEndpointBody } from './schemas';

const UpdateHookBody = z
  .object({ url: HookUrl.optional(), events: HookEvents.optional(), enabled: z.boolean().optional() })
  .refine((b) => b.url !== undefined || b.events !== undefined || b.enabled !== undefined, {
    message: 'give url, events or enabled',
  })
  .openapi('UpdateHookEndpoint');

export const route = createRoute({
  method: 'patch',
  path: '/admin/v1/{env}/hooks/{id}',
  tags: ['hooks'],
  summary: "Change a hook endpoint's URL, topics or enabled flag",
  description:
    'A disabled endpoint gets no new deliveries and its pending ones wait; enabled again, the cron tick hands them to the Queue.',
  security: [{ adminKey: [] }],
  request: {
    params: HookPath,
    body: { required: true, content: { 'application/json': { schema: UpdateHookBody } } },
  },
  responses: {
    200: jsonContent(HookEndpoint, 'Updated'),
    ...errorResponses(...HOOK_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const row = await updateHookEndpoint(c.var.ctx, {
      environment: parseEnvironment(env),
      id,
      ...c.req.valid('json'),
    });
    return c.json(hookEndpointBody(row), 200);
  });
}
