import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../../auth/user';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { sessionRateLimit } from '../../http/rate-limit';
import { CreatePortalSessionBody, createPortalSession } from '../../services/portal/create-portal-session';
import { PortalSession, RUNTIME_SESSION_ERRORS } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/v1/{env}/customer-portal-sessions',
  tags: ['runtime'],
  summary: "Open Stripe's Customer Portal for the caller (or a subject they may bill)",
  description:
    'The request row is written as the caller under row level security: a subject the caller may not bill is 403 and nothing is written. A subject without a Stripe customer yet (no checkout) is 404.',
  security: [{ userJwt: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: true, content: { 'application/json': { schema: CreatePortalSessionBody } } },
  },
  responses: {
    201: jsonContent(PortalSession, 'Created: redirect the browser to `url`'),
    ...errorResponses(...RUNTIME_SESSION_ERRORS),
  },
});

export function register(app: App) {
  app.use('/v1/:env/customer-portal-sessions', sessionRateLimit);
  app.openapi(route, async (c) => {
    const row = await createPortalSession(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      caller: requireUser(c.var.user),
      body: c.req.valid('json'),
    });
    return c.json({ id: row.id, url: row.url!, stripePortalSessionId: row.stripePortalSessionId! }, 201);
  });
}
