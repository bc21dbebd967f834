import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_BODY_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import { updateAlertSettings } from '../../services/alerts/settings';
import { AlertSettings, alertSettingsBody, UpdateAlertSettingsBody } from './schemas';

export const route = createRoute({
  method: 'put',
  path: '/admin/v1/{env}/alerts/settings',
  tags: ['alerts'],
  summary: 'Change alert thresholds (the ones not given keep their value)',
  description:
    'Payment failure alerts use the new threshold from the next failed payment; webhook alerts from the next cron tick. Recorded in the audit log (alerts.settings.update).',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ env: EnvParam }),
    body: { required: true, content: { 'application/json': { schema: UpdateAlertSettingsBody } } },
  },
  responses: {
    200: jsonContent(AlertSettings, 'The thresholds now in force'),
    ...errorResponses(...ADMIN_BODY_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const settings = await updateAlertSettings(c.var.ctx, {
      environment: parseEnvironment(c.req.valid('param').env),
      ...c.req.valid('json'),
    });
    return c.json(alertSettingsBody(settings), 200);
  });
}
