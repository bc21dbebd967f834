/**
 * The recipes this build ships (bundled.ts, generated from recipes/), looked up by name and
 * rendered for a schema, with the checksum an install records in paywire.recipe_installs.
 */
import { sha256Hex } from '../../crypto/hex';
import { AppError } from '../../errors';
import { BUNDLED_RECIPES, type BundledRecipe } from './bundled';
import { DEFAULT_RECIPE_SCHEMA, recipeStatements, renderRecipe } from './render';

export function findRecipe(name: string): BundledRecipe {
  const recipe = BUNDLED_RECIPES.find((r) => r.name === name);
  if (!recipe)
    throw new AppError('NOT_FOUND', `No recipe named ${JSON.stringify(name.slice(0, 64))}`, {
      details: { available: BUNDLED_RECIPES.map((r) => r.name) },
    });
  return recipe;
}

export interface RenderedRecipe {
  name: string;
  schema: string;
  sql: string;
  statements: string[];
  /** sha-256 (hex) of the SQL rendered for the schema */
  checksum: string;
}

/** The recipe's SQL for `schema` (validated: 400 otherwise), split into its statements. */
export async function renderForSchema(name: string, schema = DEFAULT_RECIPE_SCHEMA): Promise<RenderedRecipe> {
  const recipe = findRecipe(name);
  const sql = renderRecipe(recipe.sql, schema);
  return {
    name,
    schema,
    sql,
    statements: recipeStatements(recipe.sql, schema),
    checksum: await sha256Hex(sql),
  };
}

/**
 * One line per statement for a plan: what it does to which object (`create table app.orders`),
 * from the statement's first words after its comments; never the whole SQL.
 */
export function statementSummary(statement: string): string {
  const code = statement
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const match =
    /^(create (?:or replace )?(?:schema|table|index|view|function|trigger)(?: if not exists)?|drop trigger(?: if exists)?|grant|do|select|insert|update|alter)\s*(\S*)/i.exec(
      code,
    );
  if (!match) return code.slice(0, 60);
  const [, verb, object] = match;
  if (/^do$/i.test(verb!)) return 'do block';
  const action = verb!
    .toLowerCase()
    .replace(' or replace', '')
    .replace(/ if (not )?exists$/, '');
  return `${action} ${(object ?? '').replace(/\(.*$/, '')}`.trim();
}
