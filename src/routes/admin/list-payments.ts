import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { PageQuery, pageSchema } from '../../http/pagination';
import { EnvParam, parseEnvironment } from '../../http/params';
import { listPayments } from '../../services/projection-read/payments';
import { Payment, PaymentKind, payment, StripeIdQuery, SubjectQuery } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/payments',
  tags: ['projection'],
  summary: 'Payment history (payment intents, invoices, checkout payments, refunds), newest first',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    query: z.object({
      kind: PaymentKind.optional(),
      status: z
        .string()
        .max(40)
        .regex(/^[a-z_]+$/)
        .optional(),
      customer: StripeIdQuery('cus'),
      subject: SubjectQuery,
      subscription: StripeIdQuery('sub'),
      since: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ description: 'occurred at or after (ISO 8601)' }),
      ...PageQuery,
    }),
  },
  responses: {
    200: jsonContent(pageSchema(Payment), 'A page of payments'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await requireAdmin(c);
    const environment = parseEnvironment(c.req.valid('param').env);
    const q = c.req.valid('query');
    const page = await listPayments(c.var.db(), environment, {
      kind: q.kind,
      status: q.status,
      customer: q.customer,
      subject: q.subject,
      subscription: q.subscription,
      since: q.since ? new Date(q.since) : undefined,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ data: page.data.map(payment), nextCursor: page.nextCursor }, 200);
  });
}
