import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { listMyPayments, PAYMENT_KINDS } from '../../services/me/list-my-payments';
import { pageBody } from '../list-route';
import { meListInput, meListRoute } from './me-list-route';
import { MyPayment, myPaymentBody } from './schemas';

export const route = meListRoute({
  path: '/v1/{env}/me/payments',
  summary: "The caller's payments (payment intents, invoices, checkout payments, refunds), newest first",
  query: { kind: z.enum(PAYMENT_KINDS).optional() },
  item: MyPayment,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { kind, ...query } = c.req.valid('query');
    const input = meListInput(c.var.user, c.req.valid('param').env, query);
    const page = await listMyPayments(c.var.ctx, { ...input, ...(kind ? { kind } : {}) });
    return c.json(pageBody(page, myPaymentBody), 200);
  });
}
