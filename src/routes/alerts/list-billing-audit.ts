import { z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { parseEnvironment } from '../../http/params';
import { listBillingAudit } from '../../services/billing-audit/list-billing-audit';
import { listRoute, pageBody } from '../list-route';
import { BillingAuditEntry, billingAuditBody, SubjectIdQuery, SubjectTypeQuery } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/billing-audit',
  tags: ['alerts'],
  summary: 'Status changes of subscriptions and payments (and failed invoice payment attempts), newest first',
  query: {
    subject_type: SubjectTypeQuery,
    subject_id: SubjectIdQuery,
    object: z
      .string()
      .regex(/^[a-z]{2,6}_[A-Za-z0-9_]{1,250}$/, 'expected a Stripe id, e.g. sub_… or in_…')
      .optional()
      .openapi({ description: 'one Stripe object (subscription, invoice, payment intent, session, refund)' }),
    entity: z.enum(['subscription', 'payment']).optional(),
  },
  item: BillingAuditEntry,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const { subject_type, subject_id, object, ...query } = c.req.valid('query');
    const page = await listBillingAudit(c.var.ctx, {
      environment,
      ...query,
      subjectType: subject_type,
      subjectId: subject_id,
      stripeObjectId: object,
    });
    return c.json(pageBody(page, billingAuditBody), 200);
  });
}
