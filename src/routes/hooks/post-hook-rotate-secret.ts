import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { parseEnvironment } from '../../http/params';
import { rotateHookSecret } from '../../services/hooks/rotate-secret';
import { HOOK_WRITE_ERRORS, HookEndpointWithSecret, HookPath, hookEndpointBody } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/hooks/{id}/rotate-secret',
  tags: ['hooks'],
  summary: "Replace a hook endpoint's signing secret (the new one is shown this once)",
  description:
    'Deliveries are signed with the new secret from now on: let the app accept both secrets while it rolls.',
  security: [{ adminKey: [] }],
  request: { params: HookPath },
  responses: {
    200: jsonContent(HookEndpointWithSecret, 'The new secret'),
    ...errorResponses(...HOOK_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env, id } = c.req.valid('param');
    const { endpoint, secret } = await rotateHookSecret(c.var.ctx, {
      environment: parseEnvironment(env),
      id,
    });
    return c.json({ ...hookEndpointBody(endpoint), secret }, 200);
  });
}
