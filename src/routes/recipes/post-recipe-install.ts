import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_BODY_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { installRecipe } from '../../services/recipes/install-recipe';
import { RecipeInstallBody, RecipeInstallResult, RecipeNameParam } from './schemas';

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/recipes/{name}/install',
  tags: ['recipes'],
  summary: 'Install a recipe into an app schema (one transaction), or plan it with dry_run',
  description:
    'Runs the rendered statements, records paywire.recipe_installs (name, schema, checksum) and an audit entry in one transaction, as the Worker\'s role. The same checksum installed again answers `installed: false, reason: "already installed"` and runs nothing; a different checksum (an upgraded recipe) re-applies the SQL, which is written to be run again.',
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ name: RecipeNameParam }),
    body: { required: false, content: { 'application/json': { schema: RecipeInstallBody } } },
  },
  responses: {
    200: jsonContent(RecipeInstallResult, 'Installed, planned, or already installed'),
    ...errorResponses(...ADMIN_BODY_ERRORS, 'NOT_FOUND', 'CONFLICT'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const outcome = await installRecipe(c.var.ctx, {
      name,
      ...(body.schema ? { schema: body.schema } : {}),
      dryRun: body.dry_run === true,
    });
    return c.json(outcome, 200);
  });
}
