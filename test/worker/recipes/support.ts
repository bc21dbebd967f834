/**
 * Installing a fulfillment recipe (recipes/<name>/install.sql) into a test database, as
 * `paywire recipes install <name> --schema <schema>` would: the SQL rendered for the schema
 * split at `--> statement-breakpoint` and run in one transaction by the Worker's (owner) role.
 */
import { recipeStatements } from '../../../src/services/recipes/render';
import { sqlFor, type TestEnv } from '../support/worker';

const files = import.meta.glob('../../../recipes/*/install.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** The recipe's SQL as shipped, by name. */
export function recipeSql(name: string): string {
  const text = files[`../../../recipes/${name}/install.sql`];
  if (text === undefined) throw new Error(`no recipe ${name} (recipes/${name}/install.sql)`);
  return text;
}

/** Renders and runs the recipe's SQL in the test database (as one transaction). */
export async function installRecipe(env: TestEnv, name: string, schema = 'app'): Promise<void> {
  const sql = sqlFor(env);
  await sql.transaction(recipeStatements(recipeSql(name), schema).map((s) => sql.query(s)));
}
