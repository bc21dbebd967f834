import { and, eq, sql } from 'drizzle-orm';
import { recipeInstalls } from '../../../drizzle/schema';
import { dbCall, sqlState, toDbError } from '../../db/errors';
import type { Statement } from '../../db/prepared';
import { AppError } from '../../errors';
import { auditStatement } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { type RenderedRecipe, renderForSchema, statementSummary } from './catalog';

export interface InstallPlan {
  name: string;
  schema: string;
  checksum: string;
  /** the checksum recorded for this name and schema, if the recipe was installed before */
  installedChecksum: string | null;
  /** one line per statement (`create table app.orders`) */
  statements: string[];
}

export type InstallOutcome = InstallPlan & {
  installed: boolean;
  dryRun: boolean;
  /** why nothing was installed: 'already installed' (same checksum) or 'dry run' */
  reason: 'already installed' | 'dry run' | null;
};

async function installedChecksum(ctx: ServiceContext, name: string, schema: string) {
  const rows = await dbCall('read recipe install', () =>
    ctx.db
      .select({ checksum: recipeInstalls.checksum })
      .from(recipeInstalls)
      .where(and(eq(recipeInstalls.name, name), eq(recipeInstalls.schemaName, schema))),
  );
  return rows[0]?.checksum ?? null;
}

/**
 * Installs a recipe into an app schema: its statements, the paywire.recipe_installs row and the
 * audit entry in ONE transaction (db.batch), as the Worker's role. The same checksum again is a
 * no-op; another checksum (an upgraded recipe) re-applies the SQL, which is written to be re-run.
 */
export async function installRecipe(
  ctx: ServiceContext,
  input: { name: string; schema?: string; dryRun?: boolean },
): Promise<InstallOutcome> {
  const rendered = await renderForSchema(input.name, input.schema);
  const previous = await installedChecksum(ctx, rendered.name, rendered.schema);
  const plan: InstallPlan = {
    name: rendered.name,
    schema: rendered.schema,
    checksum: rendered.checksum,
    installedChecksum: previous,
    statements: rendered.statements.map(statementSummary),
  };
  if (previous === rendered.checksum)
    return { ...plan, installed: false, dryRun: input.dryRun === true, reason: 'already installed' };
  if (input.dryRun) return { ...plan, installed: false, dryRun: true, reason: 'dry run' };
  try {
    await ctx.db.batch(installStatements(ctx, rendered, previous));
  } catch (err) {
    throw installError(err, rendered);
  }
  return { ...plan, installed: true, dryRun: false, reason: null };
}

function installStatements(
  ctx: ServiceContext,
  rendered: RenderedRecipe,
  previous: string | null,
): [Statement, ...Statement[]] {
  const record = ctx.db
    .insert(recipeInstalls)
    .values({ name: rendered.name, schemaName: rendered.schema, checksum: rendered.checksum })
    .onConflictDoUpdate({
      target: [recipeInstalls.name, recipeInstalls.schemaName],
      set: { checksum: rendered.checksum, installedAt: sql`now()`, updatedAt: sql`now()` },
    });
  const audit = auditStatement(ctx, {
    action: 'recipe.install',
    target: `${rendered.name}@${rendered.schema}`,
    details: {
      name: rendered.name,
      schema: rendered.schema,
      checksum: rendered.checksum,
      previousChecksum: previous,
      statements: rendered.statements.length,
    },
  });
  const recipe: Statement[] = rendered.statements.map((s) => ctx.db.execute(sql.raw(s)));
  return [record, ...recipe, audit];
}

/**
 * A statement Postgres refused for what the schema already holds (class 42: an object of that
 * name with another shape, a missing column…) is a conflict with the schema, not a bug. Nothing
 * was changed (one transaction); the answer names the SQLSTATE, never the SQL or Postgres's text.
 */
function installError(err: unknown, rendered: RenderedRecipe): AppError {
  const state = sqlState(err);
  if (state?.startsWith('42') && state !== '42501')
    return new AppError(
      'CONFLICT',
      `Recipe ${rendered.name} could not be installed into schema ${rendered.schema}: Postgres refused a statement (SQLSTATE ${state}), probably an object of the same name with another shape. Nothing was changed.`,
      { details: { sqlState: state }, cause: err },
    );
  return toDbError(err, `install recipe ${rendered.name}`);
}
