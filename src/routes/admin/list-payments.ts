import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { Instant } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listPayments } from '../../services/projection-read/list-payments';
import { listRoute, pageBody } from '../list-route';
import { Payment, PaymentKind, paymentBody, StripeIdQuery, SubjectQuery } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/payments',
  tags: ['projection'],
  summary: 'Payment history (payment intents, invoices, checkout payments, refunds), newest first',
  query: {
    kind: PaymentKind.optional(),
    status: z
      .string()
      .max(40)
      .regex(/^[a-z_]+$/)
      .optional(),
    customer: StripeIdQuery('cus'),
    subject: SubjectQuery,
    subscription: StripeIdQuery('sub'),
    since: Instant.optional().openapi({ description: 'occurred at or after (ISO 8601)' }),
  },
  item: Payment,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listPayments(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, paymentBody), 200);
  });
}
