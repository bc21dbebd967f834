import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../../http/openapi';
import { showRecipe } from '../../services/recipes/show-recipe';
import { RecipeDetail, RecipeNameParam, RecipeSchemaName } from './schemas';

export const route = createRoute({
  method: 'get',
  path: '/admin/v1/recipes/{name}',
  tags: ['recipes'],
  summary: "A recipe's SQL rendered for a schema (nothing is run)",
  security: [{ adminKey: [] }],
  request: {
    params: z.object({ name: RecipeNameParam }),
    query: z.object({ schema: RecipeSchemaName.optional() }),
  },
  responses: {
    200: jsonContent(RecipeDetail, 'The rendered recipe'),
    ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid('param');
    const { schema } = c.req.valid('query');
    return c.json(await showRecipe(c.var.ctx, { name, ...(schema ? { schema } : {}) }), 200);
  });
}
