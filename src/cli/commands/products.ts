import { Argument, type Command, Option } from 'commander';
import type { Product } from '../../sdk/types';
import { action, type CommandContext } from '../context';
import { CliError } from '../errors';
import { when } from '../output';
import { metadataOption, requireText } from './catalog-input';
import { type Env, envOption, listCommand, type PageOptions, withPaging } from './options';

/**
 * `paywire products list|create|update|archive`: the catalog's products, written to Stripe
 * through the admin API (which projects them before answering).
 */
export function registerProducts(program: Command): void {
  const products = program.command('products').description('Create, change and archive Stripe products');
  registerList(products);
  registerCreate(products);
  registerUpdate(products);
  registerArchive(products);
}

function registerList(products: Command): void {
  withPaging(
    products
      .command('list', { isDefault: true })
      .description('Mirrored products, newest first (default)')
      .addOption(envOption())
      .option('--active', 'only active products')
      .option('--include-deleted', 'include products deleted in Stripe'),
  ).action(
    action(async (ctx, options: PageOptions & { env: Env; active?: boolean; includeDeleted?: boolean }) => {
      const query = {
        active: options.active ? 'true' : undefined,
        includeDeleted: options.includeDeleted ? 'true' : undefined,
      };
      await listCommand<Product>(ctx, `/admin/v1/${options.env}/products`, query, options, (rows) =>
        ctx.out.table(
          rows,
          [
            { header: 'id', value: (p) => p.id },
            { header: 'name', value: (p) => p.name, max: 40 },
            { header: 'state', value: (p) => (p.deleted ? 'deleted' : p.active ? 'active' : 'archived') },
            { header: 'default price', value: (p) => p.defaultPriceId ?? '' },
            { header: 'updated', value: (p) => when(p.updatedAt) },
          ],
          `No products in ${options.env} yet.`,
        ),
      );
    }),
  );
}

interface CreateOptions {
  env: Env;
  name?: string;
  description?: string;
  metadata?: Record<string, string>;
  inactive?: boolean;
}

function registerCreate(products: Command): void {
  products
    .command('create')
    .description('Create a product in Stripe (prompts for the name on a terminal)')
    .addOption(envOption())
    .option('--name <name>', 'product name')
    .option('--description <text>', 'description')
    .option('--metadata <key=value>', 'metadata (repeatable)', metadataOption)
    .option('--inactive', 'create it archived')
    .addHelpText(
      'after',
      '\nExample:\n  paywire products create --env test --name "Pro" --metadata paywire_key=pro',
    )
    .action(
      action(async (ctx, options: CreateOptions) => {
        const name = await requireText(ctx, options.name, '--name', { message: 'Product name' });
        const product = await ctx.spin(`Creating ${name} in ${options.env}`, () =>
          ctx.api().request<Product>('POST', `/admin/v1/${options.env}/products`, {
            body: {
              name,
              description: options.description,
              metadata: options.metadata,
              active: options.inactive ? false : undefined,
            },
          }),
        );
        printProduct(ctx, product, `Created ${product.id} in ${options.env}.`);
      }),
    );
}

interface UpdateOptions {
  env: Env;
  name?: string;
  description?: string;
  metadata?: Record<string, string>;
  active?: boolean;
  defaultPrice?: string;
}

function registerUpdate(products: Command): void {
  products
    .command('update')
    .description("Change a product's name, description, metadata, active state or default price")
    .addArgument(new Argument('<id>', 'product id (prod_…)'))
    .addOption(envOption())
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description ("" clears it)')
    .option('--metadata <key=value>', 'set metadata (repeatable; key= removes the key)', metadataOption)
    .addOption(new Option('--active', 'unarchive').conflicts('inactive'))
    .addOption(new Option('--inactive', 'archive (same as products archive)').conflicts('active'))
    .option('--default-price <price>', 'default price (price_…; "none" clears it)')
    .action(
      action(async (ctx, id: string, options: UpdateOptions & { inactive?: boolean }) => {
        const body = {
          name: options.name,
          description: options.description === undefined ? undefined : options.description || null,
          metadata: options.metadata
            ? Object.fromEntries(Object.entries(options.metadata).map(([k, v]) => [k, v === '' ? null : v]))
            : undefined,
          active: options.active ? true : options.inactive ? false : undefined,
          defaultPriceId:
            options.defaultPrice === undefined
              ? undefined
              : options.defaultPrice === 'none'
                ? null
                : options.defaultPrice,
        };
        if (Object.values(body).every((v) => v === undefined)) {
          throw CliError.usage(
            'Nothing to change: pass --name, --description, --metadata, --active/--inactive or --default-price.',
          );
        }
        const product = await ctx.spin(`Updating ${id}`, () =>
          ctx.api().request<Product>('PATCH', `/admin/v1/${options.env}/products/${encodeURIComponent(id)}`, {
            body,
          }),
        );
        printProduct(ctx, product, `Updated ${product.id} in ${options.env}.`);
      }),
    );
}

function registerArchive(products: Command): void {
  products
    .command('archive')
    .description('Archive a product (asks first; --yes skips)')
    .addArgument(new Argument('<id>', 'product id (prod_…)'))
    .addOption(envOption())
    .action(
      action(async (ctx, id: string, options: { env: Env }) => {
        await ctx.confirm(
          `Archive ${id} in ${options.env}? It can no longer be bought (subscriptions go on).`,
        );
        const product = await ctx.spin(`Archiving ${id}`, () =>
          ctx
            .api()
            .request<Product>('POST', `/admin/v1/${options.env}/products/${encodeURIComponent(id)}/archive`),
        );
        printProduct(ctx, product, `Archived ${product.id} in ${options.env}.`);
      }),
    );
}

function printProduct(ctx: CommandContext, product: Product, headline: string): void {
  if (ctx.out.json) {
    ctx.out.data(product);
    return;
  }
  ctx.out.line(headline);
  ctx.out.fields([
    ['name', product.name],
    ['description', product.description],
    ['state', product.active ? 'active' : 'archived'],
    ['default price', product.defaultPriceId],
    [
      'metadata',
      Object.entries(product.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || null,
    ],
  ]);
}
