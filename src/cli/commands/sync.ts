import type { Command } from 'commander';
import type { ResponseOf, Schemas } from '../../sdk/types';
import { action, type CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { when } from '../output';
import { type Env, envOption } from './options';

type SyncRun = Schemas['SyncRun'];

const RESOURCES = ['products', 'prices', 'customers', 'subscriptions'] as const;
const POLL_MS = 1_500;

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('Run a full sync of an environment from Stripe (or join the pass already running)')
    .addOption(envOption())
    .option('--wait', 'follow the pass to its end with a progress bar, then print the drift it corrected')
    .action(
      action(async (ctx, options: { env: Env; wait?: boolean }) => {
        const path = `/admin/v1/${options.env}/sync`;
        const started = await ctx.api().request<ResponseOf<'/admin/v1/{env}/sync', 'post'>>('POST', path);
        let run = started.run;
        if (!options.wait) {
          if (ctx.out.json) return ctx.out.data(started);
          ctx.out.line(`${started.joined ? 'Joined' : 'Started'} sync run ${run.id} (${run.status})`);
          ctx.out.note(`follow it with: paywire sync -e ${options.env} --wait`);
          return;
        }
        ctx.out.note(`${started.joined ? 'Joined' : 'Started'} sync run ${run.id}`);
        run = await follow(ctx, options.env, run);
        if (ctx.out.json) return ctx.out.data(run);
        renderResult(ctx, run);
        if (run.status !== 'completed')
          throw CliError.local(
            'SYNC_NOT_COMPLETED',
            `sync run ${run.id} ${run.status}: ${run.error ?? 'no reason given'}`,
            EXIT.FAILED,
          );
      }),
    );
}

/**
 * Polls the run until it ends. Each poll also POSTs /sync, which joins the pass and runs its
 * next slice right away (the lease keeps it to one at a time), so --wait does not sit out the
 * cron's interval between slices.
 */
async function follow(ctx: CommandContext, env: Env, first: SyncRun): Promise<SyncRun> {
  let run = first;
  for (;;) {
    drawProgress(ctx, run);
    if (['completed', 'canceled'].includes(run.status)) break;
    if (run.status === 'failed' && run.progress.failures >= 5) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    run = await ctx.api().request<SyncRun>('GET', `/admin/v1/${env}/sync-runs/${run.id}`);
    if (!['completed', 'canceled'].includes(run.status))
      await ctx.api().request('POST', `/admin/v1/${env}/sync`);
  }
  if (ctx.out.interactive) ctx.out.stderr.write('\n');
  return run;
}

/** One line on stderr, redrawn in place: resources done, the current one, its page and rows. */
function drawProgress(ctx: CommandContext, run: SyncRun): void {
  if (ctx.out.json || !ctx.out.interactive) return;
  const { progress } = run;
  const width = 24;
  const filled = Math.round((progress.resourcesDone / progress.resourcesTotal) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const rows = Object.values(run.counts.resources).reduce((sum, c) => sum + c.seen, 0);
  const current = progress.resource ? `${progress.resource} page ${progress.page}` : 'done';
  const failing = run.status === 'failed' ? `  retrying: ${run.error ?? ''}` : '';
  ctx.out.stderr.write(`\r${bar} ${current}, ${rows} rows${failing}`.slice(0, 140).padEnd(80));
}

function renderResult(ctx: CommandContext, run: SyncRun): void {
  const { out } = ctx;
  out.line(
    `Sync run ${run.id}: ${run.status}, finished ${when(run.finishedAt)} (${run.counts.slices} slice(s), ${run.counts.stripeCalls} Stripe calls, ${run.counts.dbRoundTrips} database round trips)`,
  );
  out.table(
    RESOURCES.map((resource) => ({ resource, c: run.counts.resources[resource], d: run.drift[resource] })),
    [
      { header: 'resource', value: (r) => r.resource },
      { header: 'seen', value: (r) => r.c?.seen ?? 0, align: 'right' },
      { header: 'unchanged', value: (r) => r.c?.unchanged ?? 0, align: 'right' },
      { header: 'added', value: (r) => r.d?.added ?? 0, align: 'right' },
      { header: 'corrected', value: (r) => r.d?.corrected ?? 0, align: 'right' },
      { header: 'archived', value: (r) => r.d?.archived ?? 0, align: 'right' },
      { header: 'removed', value: (r) => r.d?.removed ?? 0, align: 'right' },
    ],
  );
}
