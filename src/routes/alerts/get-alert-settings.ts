import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { getAlertSettings } from '../../services/alerts/settings';
import { AlertSettings, alertSettingsBody } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/{env}/alerts/settings',
  tags: ['alerts'],
  summary: 'Alert thresholds of an environment (the defaults until changed)',
  security: [{ adminKey: [] }],
  request: { params: z.object({ env: EnvParam }) },
  responses: {
    200: jsonContent(AlertSettings, 'Thresholds'),
    ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const settings = await getAlertSettings(c.var.ctx, parseEnvironment(c.req.valid('param').env));
    return c.json(alertSettingsBody(settings), 200);
  });
}
