import { type Command, InvalidArgumentError } from 'commander';
import type { ResponseOf } from '../../sdk/types';
import { action } from '../context';
import { CliError } from '../errors';
import { unixTime } from '../output';
import { type Env, envOption, positiveInt } from './options';

const messageId = (value: string) => {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('expected a message id');
  return Number(value);
};

/** `paywire outbox …`: the pull API over the outbox messages. */
export function registerOutbox(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('Outbox messages (the pull API): list and acknowledge');
  outbox
    .command('list')
    .description('Messages after the one with this id, in commit order')
    .addOption(envOption())
    .option('--after <id>', 'only messages with a greater id (default 0)', messageId)
    .option('--limit <n>', 'at most this many (1-500, default 100)', positiveInt)
    .option('--topic <topic>', 'one topic (e.g. payment.succeeded)')
    .action(
      action(async (ctx, options: { env: Env; after?: number; limit?: number; topic?: string }) => {
        const page = await ctx
          .api()
          .request<ResponseOf<'/admin/v1/{env}/outbox', 'get'>>('GET', `/admin/v1/${options.env}/outbox`, {
            query: { after: options.after, limit: options.limit, topic: options.topic },
          });
        if (ctx.out.json) return ctx.out.data(page);
        ctx.out.table(
          page.data,
          [
            { header: 'id', value: (m) => m.id, align: 'right' },
            { header: 'created', value: (m) => unixTime(m.created) },
            { header: 'type', value: (m) => m.type },
            { header: 'subject', value: (m) => (m.subject ? `${m.subject.type}:${m.subject.id}` : '') },
            { header: 'event', value: (m) => m.stripe_event_id ?? '' },
            { header: 'acked', value: (m) => (m.acked ? 'yes' : 'no') },
          ],
          `No messages in ${options.env}${options.after ? ` after ${options.after}` : ''}.`,
        );
        if (page.nextAfter) ctx.out.note(`More messages: add --after ${page.nextAfter}`);
      }),
    );
  outbox
    .command('ack')
    .description('Acknowledge messages: the ids given, or every one up to --up-to')
    .argument('[ids...]', 'message ids')
    .addOption(envOption())
    .option('--up-to <id>', 'every message with an id up to this one', messageId)
    .action(
      action(async (ctx, ids: string[], options: { env: Env; upTo?: number }) => {
        if (ids.length > 0 === (options.upTo !== undefined))
          throw CliError.usage('Give message ids, or --up-to <id> (not both).');
        const body = options.upTo !== undefined ? { up_to: options.upTo } : { ids: ids.map(messageId) };
        const result = await ctx
          .api()
          .request<ResponseOf<'/admin/v1/{env}/outbox/ack', 'post'>>(
            'POST',
            `/admin/v1/${options.env}/outbox/ack`,
            {
              body,
            },
          );
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.line(`Acknowledged ${result.acked} message${result.acked === 1 ? '' : 's'}.`);
      }),
    );
}
