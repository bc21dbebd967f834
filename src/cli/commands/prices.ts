import { Argument, type Command, Option } from 'commander';
import type { Price, Product } from '../../sdk/types';
import { action, type CommandContext } from '../context';
import { money, when } from '../output';
import {
  INTERVALS,
  type Interval,
  metadataOption,
  requireChoice,
  requireText,
  wholeNumber,
} from './catalog-input';
import { type Env, envOption, listCommand, type PageOptions, positiveInt, withPaging } from './options';

/**
 * `paywire prices list|create|archive`: prices of the catalog's products, written to Stripe
 * through the admin API (which projects them before answering).
 */
export function registerPrices(program: Command): void {
  const prices = program.command('prices').description('Create and archive Stripe prices');
  registerList(prices);
  registerCreate(prices);
  registerArchive(prices);
}

export function describePrice(p: Price): string {
  const amount = money(p.unitAmount, p.currency);
  if (!p.recurring) return amount;
  const n = p.recurring.intervalCount ?? 1;
  return `${amount} / ${n === 1 ? p.recurring.interval : `${n} ${p.recurring.interval}s`}`;
}

function registerList(prices: Command): void {
  withPaging(
    prices
      .command('list', { isDefault: true })
      .description('Mirrored prices, newest first (default)')
      .addOption(envOption())
      .option('--product <id>', 'only prices of this product')
      .option('--lookup-key <key>', 'only the price with this lookup key')
      .addOption(new Option('--type <type>', 'one_time or recurring').choices(['one_time', 'recurring']))
      .option('--active', 'only active prices')
      .option('--include-deleted', 'include prices deleted in Stripe'),
  ).action(
    action(
      async (
        ctx,
        options: PageOptions & {
          env: Env;
          product?: string;
          lookupKey?: string;
          type?: string;
          active?: boolean;
          includeDeleted?: boolean;
        },
      ) => {
        const query = {
          product: options.product,
          lookupKey: options.lookupKey,
          type: options.type,
          active: options.active ? 'true' : undefined,
          includeDeleted: options.includeDeleted ? 'true' : undefined,
        };
        await listCommand<Price>(ctx, `/admin/v1/${options.env}/prices`, query, options, (rows) =>
          ctx.out.table(
            rows,
            [
              { header: 'id', value: (p) => p.id },
              { header: 'product', value: (p) => p.productId },
              { header: 'amount', value: describePrice, align: 'right' },
              {
                header: 'trial',
                value: (p) => (p.recurring?.trialPeriodDays ? `${p.recurring.trialPeriodDays} d` : ''),
              },
              { header: 'lookup key', value: (p) => p.lookupKey ?? '' },
              { header: 'state', value: (p) => (p.deleted ? 'deleted' : p.active ? 'active' : 'archived') },
              { header: 'updated', value: (p) => when(p.updatedAt) },
            ],
            `No prices in ${options.env} yet.`,
          ),
        );
      },
    ),
  );
}

interface CreateOptions {
  env: Env;
  product?: string;
  currency?: string;
  amount?: number;
  interval?: Interval | 'once';
  intervalCount?: number;
  trialDays?: number;
  lookupKey?: string;
  transferLookupKey?: boolean;
  nickname?: string;
  metadata?: Record<string, string>;
}

function registerCreate(prices: Command): void {
  prices
    .command('create')
    .description('Create a price (prompts for missing product, currency, amount and interval on a terminal)')
    .addOption(envOption())
    .option('--product <id>', 'product (prod_…)')
    .option('--currency <code>', 'three-letter currency, e.g. usd')
    .option('--amount <n>', 'unit amount in the smallest unit (cents): 1900 = 19.00', wholeNumber)
    .addOption(
      new Option('--interval <interval>', 'billing interval; "once" for a one-time price').choices([
        'once',
        ...INTERVALS,
      ]),
    )
    .option('--interval-count <n>', 'bill every n intervals (default 1)', positiveInt)
    .option('--trial-days <n>', 'free trial days of a recurring price', positiveInt)
    .option('--lookup-key <key>', 'stable name for your code, e.g. pro_monthly')
    .option('--transfer-lookup-key', 'take the lookup key over from the price holding it')
    .option('--nickname <text>', 'nickname')
    .option('--metadata <key=value>', 'metadata (repeatable)', metadataOption)
    .addHelpText(
      'after',
      '\nExamples:\n  paywire prices create --product prod_… --currency usd --amount 1900 --interval month --lookup-key pro_monthly\n  paywire prices create --product prod_… --currency eur --amount 4900 --interval once',
    )
    .action(
      action(async (ctx, options: CreateOptions) => {
        const body = await priceBody(ctx, options);
        const price = await ctx.spin(`Creating the price in ${options.env}`, () =>
          ctx.api().request<Price>('POST', `/admin/v1/${options.env}/prices`, { body }),
        );
        printPrice(ctx, price, `Created ${price.id} in ${options.env}.`);
      }),
    );
}

/** The request body from the flags, prompting for what is missing (on a terminal). */
async function priceBody(ctx: CommandContext, o: CreateOptions) {
  const productId = o.product ?? (await chooseProduct(ctx, o.env));
  const currency = await requireText(ctx, o.currency, '--currency', {
    message: 'Currency',
    initial: 'usd',
    validate: (v) => (/^[a-zA-Z]{3}$/.test(v) ? undefined : 'Three letters, e.g. usd'),
  });
  const amount =
    o.amount ??
    Number(
      await requireText(ctx, undefined, '--amount', {
        message: 'Amount in the smallest unit (cents)',
        validate: (v) => (/^\d+$/.test(v) ? undefined : 'A whole number, e.g. 1900'),
      }),
    );
  const interval = await requireChoice(ctx, o.interval, '--interval', 'Billing', [
    { value: 'once', label: 'one-time' },
    ...INTERVALS.map((i) => ({ value: i, label: `every ${i}` })),
  ]);
  return {
    productId,
    currency,
    unitAmount: amount,
    recurring:
      interval === 'once'
        ? undefined
        : { interval, intervalCount: o.intervalCount, trialPeriodDays: o.trialDays },
    lookupKey: o.lookupKey,
    transferLookupKey: o.transferLookupKey,
    nickname: o.nickname,
    metadata: o.metadata,
  };
}

async function chooseProduct(ctx: CommandContext, env: Env): Promise<string> {
  if (ctx.out.json || !ctx.out.interactive) return requireText(ctx, undefined, '--product', { message: '' });
  const products = await ctx.api().all<Product>(`/admin/v1/${env}/products`, { active: 'true' }, 200);
  if (products.data.length === 0) {
    return requireText(ctx, undefined, '--product', { message: 'Product id (prod_…)' });
  }
  return requireChoice(
    ctx,
    undefined,
    '--product',
    'Product',
    products.data.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` })),
  );
}

function registerArchive(prices: Command): void {
  prices
    .command('archive')
    .description('Archive a price (asks first; --yes skips)')
    .addArgument(new Argument('<id>', 'price id (price_…)'))
    .addOption(envOption())
    .action(
      action(async (ctx, id: string, options: { env: Env }) => {
        await ctx.confirm(
          `Archive ${id} in ${options.env}? New checkouts cannot use it (subscriptions keep it).`,
        );
        const price = await ctx.spin(`Archiving ${id}`, () =>
          ctx
            .api()
            .request<Price>('POST', `/admin/v1/${options.env}/prices/${encodeURIComponent(id)}/archive`),
        );
        printPrice(ctx, price, `Archived ${price.id} in ${options.env}.`);
      }),
    );
}

function printPrice(ctx: CommandContext, price: Price, headline: string): void {
  if (ctx.out.json) {
    ctx.out.data(price);
    return;
  }
  ctx.out.line(headline);
  ctx.out.fields([
    ['product', price.productId],
    ['amount', describePrice(price)],
    ['trial', price.recurring?.trialPeriodDays ? `${price.recurring.trialPeriodDays} days` : null],
    ['lookup key', price.lookupKey],
    ['nickname', price.nickname],
    ['state', price.active ? 'active' : 'archived'],
  ]);
}
