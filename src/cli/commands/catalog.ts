import { type Command as CommandType, Option } from 'commander';
import type { Page, Price, Product, Schemas } from '../../sdk/types';
import { action, type CommandContext } from '../context';
import { ENVIRONMENTS, type Env, envOption } from './options';
import { describePrice } from './prices';

type Promotion = Schemas['PromotionResult'];

/**
 * `paywire catalog` lists products with their prices (default) and promotes the catalog from
 * one environment to the other (`catalog promote`). Single-object writes are
 * `paywire products …` and `paywire prices …`.
 */
export function registerCatalog(program: CommandType): void {
  const catalog = program.command('catalog').description('Products and prices mirrored from Stripe');

  catalog
    .command('list', { isDefault: true })
    .description('Products with their prices (default)')
    .addOption(envOption())
    .option('--active', 'only active products and prices')
    .option('--include-deleted', 'include objects deleted in Stripe')
    .action(
      action(async (ctx, options: { env: Env; active?: boolean; includeDeleted?: boolean }) => {
        const api = ctx.api();
        const query = {
          active: options.active ? 'true' : undefined,
          includeDeleted: options.includeDeleted ? 'true' : undefined,
        };
        const [products, prices] = await Promise.all([
          api.all<Product>(`/admin/v1/${options.env}/products`, query),
          api.all<Price>(`/admin/v1/${options.env}/prices`, query),
        ]);
        // Two API lists: --json prints both pages, each exactly as the API returned it.
        if (ctx.out.json) return ctx.out.data({ products, prices } satisfies Record<string, Page<unknown>>);
        const rows = products.data.flatMap((p) => {
          const own = prices.data.filter((pr) => pr.productId === p.id);
          const product = { name: p.name, productId: p.id, productState: state(p) };
          if (own.length === 0) return [{ ...product, price: null as Price | null }];
          return own.map((price, i) =>
            i === 0 ? { ...product, price } : { name: '', productId: '', productState: '', price },
          );
        });
        ctx.out.table(
          rows,
          [
            { header: 'product', value: (r) => r.name, max: 40 },
            { header: 'id', value: (r) => r.productId },
            { header: '', value: (r) => r.productState },
            { header: 'price', value: (r) => r.price?.id ?? '' },
            { header: 'amount', value: (r) => (r.price ? describePrice(r.price) : ''), align: 'right' },
            { header: 'lookup key', value: (r) => r.price?.lookupKey ?? '' },
            { header: '', value: (r) => (r.price ? state(r.price) : '') },
          ],
          `No products in ${options.env} yet.`,
        );
      }),
    );
  registerPromote(catalog);
}

/**
 * `catalog promote`: the plan is computed by the Worker (POST /admin/v1/catalog/promote) from
 * the projection of both environments; the CLI prints it and applies it only with --yes.
 */
function registerPromote(catalog: CommandType): void {
  catalog
    .command('promote')
    .description('Copy the catalog from one environment to the other (dry run unless --yes)')
    .addOption(new Option('--from <env>', 'source environment').choices([...ENVIRONMENTS]).default('test'))
    .addOption(new Option('--to <env>', 'target environment').choices([...ENVIRONMENTS]).default('live'))
    .addHelpText(
      'after',
      '\nMatches prices by lookup key, then metadata paywire_key; products by paywire_key (or through\ntheir prices). Prints create / update / unchanged / only-in-<to>; --yes applies it. Running it\nagain after applying changes nothing.\n  paywire catalog promote --from test --to live          # the plan\n  paywire catalog promote --from test --to live --yes    # apply',
    )
    .action(
      action(async (ctx, options: { from: Env; to: Env }) => {
        const apply = !!ctx.globals.yes;
        const result = await ctx.spin(
          apply ? `Promoting ${options.from} → ${options.to}` : 'Computing the plan',
          () =>
            ctx.api().request<Promotion>('POST', '/admin/v1/catalog/promote', {
              body: { from: options.from, to: options.to, apply },
            }),
        );
        if (ctx.out.json) return ctx.out.data(result);
        printPlan(ctx, result);
      }),
    );
}

function printPlan(ctx: CommandContext, result: Promotion): void {
  const label = (action: string) => (action === 'only-in-target' ? `only-in-${result.to}` : action);
  const rows = [...result.steps].sort((a, b) => order(a.action) - order(b.action));
  ctx.out.table(
    rows,
    [
      { header: 'action', value: (s) => label(s.action) + (s.replace ? ' (replace)' : '') },
      { header: 'kind', value: (s) => s.kind },
      { header: 'what', value: (s) => s.name ?? s.key, max: 40 },
      { header: result.from, value: (s) => s.sourceId ?? '' },
      { header: result.to, value: (s) => s.targetId ?? '' },
      { header: 'changes', value: (s) => s.changes.join(', ') },
    ],
    `Nothing in ${result.from} or ${result.to}.`,
  );
  const { create, update, unchanged, onlyInTarget } = result.summary;
  ctx.out.line(
    `${create} to create, ${update} to update, ${unchanged} unchanged, ${onlyInTarget} only in ${result.to}.`,
  );
  if (result.applied) ctx.out.line(`Applied: ${result.writes} Stripe write(s) in ${result.to}.`);
  else if (create + update > 0) ctx.out.note('Dry run: nothing was changed. Add --yes to apply.');
}

const ACTION_ORDER = ['create', 'update', 'unchanged', 'only-in-target'];
const order = (action: string) => ACTION_ORDER.indexOf(action);

function state(o: { active: boolean; deleted: boolean }): string {
  return o.deleted ? 'deleted' : o.active ? '' : 'archived';
}
