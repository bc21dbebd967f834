import { asc } from 'drizzle-orm';
import { recipeInstalls } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import type { ServiceContext } from '../context';
import { BUNDLED_RECIPES } from './bundled';

export interface RecipeListing {
  name: string;
  summary: string;
  installs: Array<{ schema: string; checksum: string; installedAt: Date }>;
}

/** Every recipe this build ships, with the schemas it is installed in (paywire.recipe_installs). */
export async function listRecipes(ctx: ServiceContext): Promise<RecipeListing[]> {
  const rows = await dbCall('list recipe installs', () =>
    ctx.db.select().from(recipeInstalls).orderBy(asc(recipeInstalls.name), asc(recipeInstalls.schemaName)),
  );
  return BUNDLED_RECIPES.map((r) => ({
    name: r.name,
    summary: r.summary,
    installs: rows
      .filter((row) => row.name === r.name)
      .map((row) => ({ schema: row.schemaName, checksum: row.checksum, installedAt: row.installedAt })),
  }));
}
