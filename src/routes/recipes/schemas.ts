import { z } from '@hono/zod-openapi';
import { DEFAULT_RECIPE_SCHEMA, RECIPE_SCHEMA_PATTERN } from '../../services/recipes/render';

export const RecipeNameParam = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,47}$/)
  .openapi({ param: { name: 'name', in: 'path' }, example: 'orders' });

export const RecipeSchemaName = z
  .string()
  .regex(RECIPE_SCHEMA_PATTERN)
  .openapi({
    description: `The app schema the recipe installs into (default \`${DEFAULT_RECIPE_SCHEMA}\`): a lower-case identifier other than paywire, public and pg_*`,
    example: 'app',
  });

export const RecipeInstall = z
  .object({ schema: z.string(), checksum: z.string(), installedAt: z.string() })
  .openapi('RecipeInstall');

export const RecipeSummary = z
  .object({
    name: z.string(),
    summary: z.string(),
    installs: z.array(RecipeInstall).describe('the schemas it is installed in'),
  })
  .openapi('RecipeSummary');

export const RecipeDetail = z
  .object({
    name: z.string(),
    summary: z.string(),
    schema: z.string(),
    checksum: z.string().describe('sha-256 of the SQL rendered for the schema'),
    sql: z.string().describe('install.sql rendered for the schema'),
    statements: z.array(z.string()).describe('one line per statement, e.g. `create table app.orders`'),
  })
  .openapi('RecipeDetail');

export const RecipeInstallBody = z
  .object({
    schema: RecipeSchemaName.optional(),
    dry_run: z.boolean().optional().describe('plan only: nothing is run or recorded'),
  })
  .strict()
  .openapi('RecipeInstallBody');

export const RecipeInstallResult = z
  .object({
    name: z.string(),
    schema: z.string(),
    installed: z.boolean(),
    dryRun: z.boolean(),
    reason: z.enum(['already installed', 'dry run']).nullable(),
    checksum: z.string(),
    installedChecksum: z.string().nullable().describe('the checksum installed before this call, if any'),
    statements: z.array(z.string()),
  })
  .openapi('RecipeInstallResult');
