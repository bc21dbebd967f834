import type { App } from '../../http/context';
import { BoolQuery, SafeText } from '../../http/input';
import { parseEnvironment } from '../../http/params';
import { listCustomers } from '../../services/projection-read/list-customers';
import { listRoute, pageBody } from '../list-route';
import { Customer, customerBody, SubjectQuery } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/customers',
  tags: ['projection'],
  summary: 'Mirrored Stripe customers with their billing subject, newest first',
  query: {
    email: SafeText(320).optional().openapi({ description: 'exact email (case-insensitive)' }),
    subject: SubjectQuery,
    includeDeleted: BoolQuery,
  },
  item: Customer,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const environment = parseEnvironment(c.req.valid('param').env);
    const page = await listCustomers(c.var.ctx, { environment, ...c.req.valid('query') });
    return c.json(pageBody(page, customerBody), 200);
  });
}
