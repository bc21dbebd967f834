import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { listRecipes } from '../../services/recipes/list-recipes';
import { RecipeSummary } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/recipes',
  tags: ['recipes'],
  summary: 'Fulfillment recipes shipped with this build, and the schemas each is installed in',
  security: [{ adminKey: [] }],
  responses: {
    200: jsonContent(z.object({ data: z.array(RecipeSummary) }), 'The recipes'),
    ...errorResponses(...ADMIN_ERRORS),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const recipes = await listRecipes(c.var.ctx);
    return c.json(
      {
        data: recipes.map((r) => ({
          ...r,
          installs: r.installs.map((i) => ({ ...i, installedAt: i.installedAt.toISOString() })),
        })),
      },
      200,
    );
  });
}
