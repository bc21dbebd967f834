import type { Command } from 'commander';
import type { IngestResult, RetryReport, WebhookEvent, WebhookEventDetail } from '../../sdk/types';
import type { AdminApi } from '../api-client';
import { action } from '../context';
import { CliError, EXIT } from '../errors';
import { unixTime, when } from '../output';
import { type Env, envOption, listCommand, type PageOptions, positiveInt, withPaging } from './options';

export function registerEvents(program: Command): void {
  const events = program
    .command('events')
    .description('Stripe events Paywire received, and replaying failed ones');
  registerList(events);
  registerShow(events);
  registerRetry(events);
}

function registerList(events: Command): void {
  withPaging(
    events
      .command('list')
      .description('Received events, newest first')
      .addOption(envOption())
      .option('--status <status>', 'pending | processed | failed | ignored')
      .option('--type <type>', 'exact type, or a prefix ending in * (e.g. invoice.*)')
      .option('--since <iso>', 'received at or after (ISO 8601)'),
  ).action(
    action(
      async (ctx, options: { env: Env; status?: string; type?: string; since?: string } & PageOptions) => {
        await listCommand<WebhookEvent>(
          ctx,
          `/admin/v1/${options.env}/events`,
          { status: options.status, type: options.type, since: options.since },
          options,
          (rows) =>
            ctx.out.table(
              rows,
              [
                { header: 'received', value: (e) => when(e.receivedAt) },
                { header: 'id', value: (e) => e.id },
                { header: 'type', value: (e) => e.type },
                {
                  header: 'status',
                  value: (e) => (e.status === 'failed' ? ctx.out.paint('red', e.status) : e.status),
                },
                { header: 'tries', value: (e) => e.attempts, align: 'right' },
                { header: 'error', value: (e) => e.lastError ?? '', max: 50 },
              ],
              `No events in ${options.env}.`,
            ),
        );
      },
    ),
  );
}

function registerShow(events: Command): void {
  events
    .command('show')
    .description('One event with its payload')
    .argument('<id>', 'Stripe event id (evt_…)')
    .addOption(envOption())
    .action(
      action(async (ctx, id: string, options: { env: Env }) => {
        const event = await ctx
          .api()
          .request<WebhookEventDetail>('GET', `/admin/v1/${options.env}/events/${encodeURIComponent(id)}`);
        if (ctx.out.json) return ctx.out.data(event);
        ctx.out.fields([
          ['id', event.id],
          ['type', event.type],
          ['status', event.status],
          ['object', event.objectId],
          ['created', unixTime(event.created)],
          ['received', when(event.receivedAt)],
          ['processed', when(event.processedAt)],
          ['attempts', event.attempts],
          ['source', event.source],
          ['api version', event.apiVersion],
          ['last error', event.lastError],
        ]);
        ctx.out.line();
        ctx.out.line(JSON.stringify(event.payload ?? {}, null, 2));
      }),
    );
}

function registerRetry(events: Command): void {
  events
    .command('retry')
    .description('Replay a failed event through the projection (or every failed one with --failed)')
    .argument('[id]', 'Stripe event id (evt_…)')
    .addOption(envOption())
    .option('--failed', 'replay every failed event of the environment, oldest first')
    .option('--limit <n>', 'with --failed: at most this many (default: all, 100 per request)', positiveInt)
    .action(
      action(async (ctx, id: string | undefined, options: { env: Env; failed?: boolean; limit?: number }) => {
        if (!id === !options.failed) throw CliError.usage('Give an event id, or --failed (not both).');
        const api = ctx.api();
        if (id) {
          const result = await api.request<IngestResult>(
            'POST',
            `/admin/v1/${options.env}/events/${encodeURIComponent(id)}/retry`,
          );
          if (ctx.out.json) return ctx.out.data(result);
          ctx.out.line(`${result.eventId} (${result.type}): ${result.status}`);
          return;
        }
        const report = await ctx.spin('Replaying failed events', () =>
          retryAllFailed(api, options.env, options.limit),
        );
        if (ctx.out.json) ctx.out.data(report);
        else {
          ctx.out.line(
            `Replayed ${report.attempted}: ${report.processed} processed, ${report.failed} still failing, ${report.remaining} not tried yet.`,
          );
          for (const r of report.results.filter((x) => x.status === 'failed'))
            ctx.out.line(`  ${r.eventId}: ${r.error ?? 'failed'}`);
        }
        // Some events still fail: the operation did not fully succeed.
        if (report.failed > 0) process.exitCode = EXIT.FAILED;
      }),
    );
}

/**
 * The API replays at most 100 failed events per call (one Worker invocation); without --limit
 * the CLI calls again while others remain and the last call made progress.
 */
async function retryAllFailed(api: AdminApi, env: Env, limit?: number): Promise<RetryReport> {
  const total: RetryReport = { attempted: 0, processed: 0, failed: 0, remaining: 0, results: [] };
  for (let round = 0; round < 1000; round++) {
    const report = await api.request<RetryReport>('POST', `/admin/v1/${env}/events/retry-failed`, {
      query: { limit: limit === undefined ? undefined : Math.min(limit - total.attempted, 100) },
    });
    total.attempted += report.attempted;
    total.processed += report.processed;
    total.failed += report.failed;
    total.remaining = report.remaining;
    total.results.push(...report.results);
    const done = limit !== undefined && total.attempted >= limit;
    if (done || report.remaining === 0 || report.attempted === report.failed) break;
  }
  return total;
}
