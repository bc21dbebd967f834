import type { ServiceContext } from '../context';
import { findRecipe, renderForSchema, statementSummary } from './catalog';

/** A recipe's SQL rendered for a schema (nothing is run). */
export async function showRecipe(_ctx: ServiceContext, input: { name: string; schema?: string }) {
  const rendered = await renderForSchema(input.name, input.schema);
  return {
    name: rendered.name,
    summary: findRecipe(rendered.name).summary,
    schema: rendered.schema,
    checksum: rendered.checksum,
    sql: rendered.sql,
    statements: rendered.statements.map(statementSummary),
  };
}
