/**
 * Fulfillment recipes (recipes/<name>/install.sql) are written against the placeholder
 * `{{schema}}`: the app's schema they install into. Rendering validates the name as a plain
 * Postgres identifier, so the SQL never carries caller text beyond it.
 */
import { AppError } from '../../errors';

export const DEFAULT_RECIPE_SCHEMA = 'app';
export const RECIPE_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;
const RESERVED_SCHEMAS = new Set(['paywire', 'public', 'pg_catalog', 'information_schema', 'pg_toast']);
/**
 * Postgres's reserved key words (and those reserved but allowed as function or type names),
 * which cannot name a schema unquoted: `create schema user` is a syntax error.
 */
const SQL_KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check ' +
    'collate collation column concurrently constraint create cross current_catalog current_date ' +
    'current_role current_schema current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign freeze from full grant group having ilike in ' +
    'initially inner intersect into is isnull join lateral leading left like limit localtime ' +
    'localtimestamp natural not notnull null offset on only or order outer overlaps placing primary ' +
    'references returning right select session_user similar some symmetric system_user table ' +
    'tablesample then to trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);

export function assertRecipeSchema(schema: string): string {
  if (!RECIPE_SCHEMA_PATTERN.test(schema) || RESERVED_SCHEMAS.has(schema) || schema.startsWith('pg_'))
    throw new AppError(
      'VALIDATION_FAILED',
      `schema must be a lower-case identifier (a-z, 0-9, _; at most 48 characters) other than paywire, public and pg_*`,
    );
  if (SQL_KEYWORDS.has(schema))
    throw new AppError('VALIDATION_FAILED', `schema must not be an SQL key word (${schema})`);
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
