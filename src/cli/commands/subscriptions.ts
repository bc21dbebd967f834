import type { Command } from 'commander';
import type { Subscription } from '../../sdk/types';
import { action } from '../context';
import { when } from '../output';
import { type Env, envOption, listCommand, type PageOptions, withPaging } from './options';

/** `paywire subscriptions` (group; default `list`, later actions such as cancel slot in). */
export function registerSubscriptions(program: Command): void {
  const subscriptions = program.command('subscriptions').description('Subscriptions mirrored from Stripe');
  withPaging(
    subscriptions
      .command('list', { isDefault: true })
      .description('Subscriptions, newest first (default)')
      .addOption(envOption())
      .option('--status <status>', 'active, trialing, past_due, canceled, unpaid, …')
      .option('--customer <cus_…>', 'one Stripe customer')
      .option('--subject <type:id>', 'one billing subject, e.g. user:42'),
  ).action(
    action(
      async (
        ctx,
        options: { env: Env; status?: string; customer?: string; subject?: string } & PageOptions,
      ) => {
        await listCommand<Subscription>(
          ctx,
          `/admin/v1/${options.env}/subscriptions`,
          { status: options.status, customer: options.customer, subject: options.subject },
          options,
          (rows) =>
            ctx.out.table(
              rows,
              [
                { header: 'id', value: (s) => s.id },
                { header: 'status', value: (s) => s.status + (s.cancelAtPeriodEnd ? ' (cancels)' : '') },
                { header: 'customer', value: (s) => s.customerId },
                { header: 'subject', value: (s) => (s.subject ? `${s.subject.type}:${s.subject.id}` : '') },
                { header: 'price', value: (s) => s.priceId },
                { header: 'period end', value: (s) => when(s.currentPeriodEnd) },
              ],
              `No subscriptions in ${options.env}.`,
            ),
        );
      },
    ),
  );
}
