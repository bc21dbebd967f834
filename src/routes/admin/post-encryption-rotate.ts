import { createRoute } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { rotateEncryption } from '../../services/connections/rotate-encryption';
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
    ...errorResponses(...ADMIN_ERRORS, 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(await rotateEncryption(c.var.ctx), 200));
}
