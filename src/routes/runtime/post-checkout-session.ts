import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../../auth/user';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { sessionRateLimit } from '../../http/rate-limit';
import { createCheckoutSession } from '../../services/checkout/create-checkout-session';
import { CreateCheckoutSessionBody, IdempotencyKeyHeader } from '../../services/checkout/input';
import { CheckoutSession, RUNTIME_SESSION_ERRORS } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/v1/{env}/checkout-sessions',
  tags: ['runtime'],
  summary: 'Start a Stripe Checkout for the caller (or a subject they may bill)',
  description:
    'The request row is written as the caller under row level security: a subject the caller may not bill is 403 and nothing is written. The subject gets exactly one Stripe customer. Same `Idempotency-Key` and body → the same session (200); another body → 409. Unknown or inactive prices → 400 naming the item. Stripe refusing → 502 with its message; Stripe unreachable → 503.',
  security: [{ userJwt: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: CreateCheckoutSessionBody } } },
  },
  responses: {
    200: jsonContent(CheckoutSession, 'The session an earlier request with this Idempotency-Key created'),
    201: jsonContent(CheckoutSession, 'Created: redirect the browser to `url`'),
    ...errorResponses(...RUNTIME_SESSION_ERRORS, 'BAD_REQUEST', 'CONFLICT'),
  },
});

export function register(app: App) {
  app.use('/v1/:env/checkout-sessions', sessionRateLimit);
  app.openapi(route, async (c) => {
    const user = requireUser(c.var.user);
    const body = c.req.valid('json');
    const { row, replayed } = await createCheckoutSession(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      caller: user,
      subject: body.subject,
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      body,
    });
    const session = {
      id: row.id,
      url: row.url,
      stripeCheckoutSessionId: row.stripeCheckoutSessionId,
      status: row.status as z.infer<typeof CheckoutSession>['status'],
    };
    return replayed ? c.json(session, 200) : c.json(session, 201);
  });
}
