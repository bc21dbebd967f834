import type { Command } from 'commander';
import type { Page, Price, Product } from '../../sdk/types';
import { action } from '../context';
import { money } from '../output';
import { type Env, envOption } from './options';

/**
 * `paywire catalog` lists products with their prices. It is a command group whose default is
 * `list`, so catalog writes (create/archive, with the catalog issue) join it as siblings.
 */
export function registerCatalog(program: Command): void {
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
}

function state(o: { active: boolean; deleted: boolean }): string {
  return o.deleted ? 'deleted' : o.active ? '' : 'archived';
}

function describePrice(p: Price): string {
  const amount = money(p.unitAmount, p.currency);
  if (!p.recurring) return amount;
  const n = p.recurring.intervalCount ?? 1;
  return `${amount} / ${n === 1 ? p.recurring.interval : `${n} ${p.recurring.interval}s`}`;
}
