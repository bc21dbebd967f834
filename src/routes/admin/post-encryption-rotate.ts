import { createRoute } from '@hono/zod-openapi';
import { requireAdmin } from '../../auth/admin';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { rotateEncryption } from '../../services/connections/rotate-encryption';
import { connectionDeps } from './deps';
import { RotationReport } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/encryption/rotate',
  tags: ['connection'],
  summary: 'Re-encrypt every stored secret with the active encryption key',
  description:
    'Rotation: prepend a new key to PAYWIRE_ENCRYPTION_KEY ("v2:<new>,v1:<old>"), deploy, call this, check that `failed` is empty, then remove the old key.',
  security: [{ adminKey: [] }],
  responses: {
    200: jsonContent(RotationReport, 'What was re-encrypted'),
    ...errorResponses(401, 403, 503),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { actor } = await requireAdmin(c);
    const report = await rotateEncryption(connectionDeps(c, actor));
    return c.json(report, 200);
  });
}
