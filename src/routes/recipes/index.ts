import type { App } from '../../http/context';
import * as getRecipe from './get-recipe';
import * as listRecipes from './list-recipes';
import * as postRecipeInstall from './post-recipe-install';

/** Admin routes of the fulfillment recipes: list, show (rendered SQL), install. */
export function registerRecipeRoutes(app: App) {
  listRecipes.register(app);
  getRecipe.register(app);
  postRecipeInstall.register(app);
}
