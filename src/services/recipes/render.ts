/**
 * Fulfillment recipes (recipes/<name>/install.sql) are written against the placeholder
 * `{{schema}}`: the app's schema they install into. Rendering validates the name as a plain
 * Postgres identifier, so the SQL never carries caller text beyond it.
 */
import { AppError } from '../../errors';

export const DEFAULT_RECIPE_SCHEMA = 'app';
export const RECIPE_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;
const RESERVED_SCHEMAS = new Set(['paywire', 'public', 'pg_catalog', 'information_schema', 'pg_toast']);

export function assertRecipeSchema(schema: string): string {
  if (!RECIPE_SCHEMA_PATTERN.test(schema) || RESERVED_SCHEMAS.has(schema) || schema.startsWith('pg_'))
    throw new AppError(
      'VALIDATION_FAILED',
      `schema must be a lower-case identifier (a-z, 0-9, _; at most 48 characters) other than paywire, public and pg_*`,
    );
  return schema;
}

export function renderRecipe(sqlText: string, schema: string = DEFAULT_RECIPE_SCHEMA): string {
  return sqlText.replaceAll('{{schema}}', assertRecipeSchema(schema));
}

/**
 * The rendered statements, split where the file says `--> statement-breakpoint` (drizzle's
 * migration convention): Neon's HTTP API runs one statement per query, never a script.
 */
export function recipeStatements(sqlText: string, schema: string = DEFAULT_RECIPE_SCHEMA): string[] {
  return renderRecipe(sqlText, schema)
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '');
}
