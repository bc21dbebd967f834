import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { SafeText } from '../../http/input';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { createHookEndpoint } from '../../services/hooks/create-endpoint';
import { HOOK_WRITE_ERRORS, HookEndpointWithSecret, HookEvents, HookUrl, hookEndpointBody } from './schemas';

const CreateHookBody = z
  .object({
    url: HookUrl,
    events: HookEvents,
    description: SafeText(500).optional(),
  })
  .openapi('CreateHookEndpoint');

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/{env}/hooks',
  tags: ['hooks'],
  summary: 'Register an endpoint of the app that receives outbox messages',
  description:
    'Answers with the signing secret (whsec_…) this once; afterwards only its masked form is shown. Messages are POSTed with a Paywire-Signature header (verifyPaywireSignature in the SDK).',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: true, content: { 'application/json': { schema: CreateHookBody } } },
  },
  responses: {
    201: jsonContent(HookEndpointWithSecret, 'Registered'),
    ...errorResponses(...HOOK_WRITE_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { endpoint, secret } = await createHookEndpoint(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      ...c.req.valid('json'),
    });
    return c.json({ ...hookEndpointBody(endpoint), secret }, 201);
  });
}
