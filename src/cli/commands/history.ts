import type { Command } from 'commander';
import type { Payment } from '../../sdk/types';
import { action } from '../context';
import { money, when } from '../output';
import { type Env, envOption, listCommand, type PageOptions, withPaging } from './options';

export function registerHistory(program: Command): void {
  withPaging(
    program
      .command('history')
      .description('Payment history: payment intents, invoices, checkout payments, refunds (newest first)')
      .addOption(envOption())
      .option('--kind <kind>', 'payment_intent | invoice | checkout_session | refund')
      .option('--status <status>', 'e.g. succeeded, paid, failed')
      .option('--customer <cus_…>', 'one Stripe customer')
      .option('--subject <type:id>', 'one billing subject, e.g. user:42')
      .option('--since <iso>', 'occurred at or after (ISO 8601)'),
  ).action(
    action(
      async (
        ctx,
        options: {
          env: Env;
          kind?: string;
          status?: string;
          customer?: string;
          subject?: string;
          since?: string;
        } & PageOptions,
      ) => {
        await listCommand<Payment>(
          ctx,
          `/admin/v1/${options.env}/payments`,
          {
            kind: options.kind,
            status: options.status,
            customer: options.customer,
            subject: options.subject,
            since: options.since,
          },
          options,
          (rows) =>
            ctx.out.table(
              rows,
              [
                { header: 'when', value: (p) => when(p.occurredAt) },
                { header: 'kind', value: (p) => p.kind },
                { header: 'id', value: (p) => p.id },
                { header: 'amount', value: (p) => money(p.amount, p.currency), align: 'right' },
                {
                  header: 'refunded',
                  value: (p) => (p.amountRefunded ? money(p.amountRefunded, p.currency) : ''),
                  align: 'right',
                },
                { header: 'status', value: (p) => p.status },
                { header: 'customer', value: (p) => p.customerId },
                { header: 'subject', value: (p) => (p.subject ? `${p.subject.type}:${p.subject.id}` : '') },
              ],
              `No payments in ${options.env}.`,
            ),
        );
      },
    ),
  );
}
