import type { Command } from 'commander';
import type { Schemas } from '../../sdk/types';
import { action, type CommandContext } from '../context';

type RecipeSummary = Schemas['RecipeSummary'];
type RecipeDetail = Schemas['RecipeDetail'];
type RecipeInstallResult = Schemas['RecipeInstallResult'];

const SCHEMA_HELP = 'app schema to install into (default: app)';

export function registerRecipes(program: Command): void {
  const recipes = program
    .command('recipes')
    .description(
      'Fulfillment recipes: SQL that turns Paywire rows into your app tables (orders, credits, jobs…)',
    );
  registerList(recipes);
  registerShow(recipes);
  registerInstall(recipes);
}

function registerList(recipes: Command): void {
  recipes
    .command('list')
    .description('Recipes shipped with this Paywire, and the schemas each is installed in')
    .action(
      action(async (ctx) => {
        const { data } = await ctx.api().request<{ data: RecipeSummary[] }>('GET', '/admin/v1/recipes');
        if (ctx.out.json) return ctx.out.data({ data });
        ctx.out.table(
          data,
          [
            { header: 'name', value: (r) => r.name },
            { header: 'installed in', value: (r) => r.installs.map((i) => i.schema).join(', ') || '-' },
            { header: 'summary', value: (r) => r.summary, max: 80 },
          ],
          'No recipes.',
        );
      }),
    );
}

function registerShow(recipes: Command): void {
  recipes
    .command('show')
    .description("A recipe's SQL rendered for a schema (nothing is run)")
    .argument('<name>', 'recipe name (paywire recipes list)')
    .option('--schema <schema>', SCHEMA_HELP)
    .action(
      action(async (ctx, name: string, options: { schema?: string }) => {
        const recipe = await ctx
          .api()
          .request<RecipeDetail>('GET', `/admin/v1/recipes/${encodeURIComponent(name)}`, {
            query: options.schema ? { schema: options.schema } : {},
          });
        if (ctx.out.json) return ctx.out.data(recipe);
        ctx.out.line(
          `-- ${recipe.name} for schema ${recipe.schema} (checksum ${recipe.checksum.slice(0, 12)})`,
        );
        ctx.out.line(recipe.sql);
      }),
    );
}

function registerInstall(recipes: Command): void {
  recipes
    .command('install')
    .description('Install a recipe into an app schema: shows the plan, asks first (--yes skips)')
    .argument('<name>', 'recipe name (paywire recipes list)')
    .option('--schema <schema>', SCHEMA_HELP)
    .action(
      action(async (ctx, name: string, options: { schema?: string }) => {
        const api = ctx.api();
        const path = `/admin/v1/recipes/${encodeURIComponent(name)}/install`;
        const body = options.schema ? { schema: options.schema } : {};
        const plan = await api.request<RecipeInstallResult>('POST', path, {
          body: { ...body, dry_run: true },
        });
        if (plan.reason === 'already installed') {
          if (ctx.out.json) return ctx.out.data(plan);
          ctx.out.line(
            `${plan.name} is already installed in schema ${plan.schema} (same checksum): nothing to do.`,
          );
          return;
        }
        if (!ctx.out.json) printPlan(ctx, plan);
        await ctx.confirm(`Install ${plan.name} into schema ${plan.schema}?`);
        const result = await ctx.spin(`Installing ${plan.name}`, () =>
          api.request<RecipeInstallResult>('POST', path, { body }),
        );
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.line(
          result.installed
            ? `Installed ${result.name} into schema ${result.schema} (checksum ${result.checksum.slice(0, 12)}).`
            : `${result.name}: ${result.reason ?? 'not installed'}.`,
        );
      }),
    );
}

function printPlan(ctx: CommandContext, plan: RecipeInstallResult): void {
  ctx.out.fields([
    ['recipe', plan.name],
    ['schema', plan.schema],
    ['checksum', plan.checksum.slice(0, 12)],
    [
      'installed',
      plan.installedChecksum
        ? `yes, another version (${plan.installedChecksum.slice(0, 12)}): the SQL is re-applied`
        : 'no',
    ],
    ['statements', plan.statements.length],
  ]);
  for (const s of plan.statements) ctx.out.line(`  ${s}`);
}
