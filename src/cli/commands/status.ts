import type { Command } from 'commander';
import type { EnvironmentStatus, Status } from '../../sdk/types';
import { action, type CommandContext } from '../context';
import { age, when } from '../output';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Connection, webhook endpoint, events and last sync of both environments')
    .action(
      action(async (ctx) => {
        const status = await ctx.api().request<Status>('GET', '/admin/v1/status');
        if (ctx.out.json) return ctx.out.data(status);
        ctx.out.line(`Paywire at ${ctx.config().url}  (Stripe API ${status.stripeApiVersion})`);
        for (const env of [status.environments.test, status.environments.live]) renderEnvironment(ctx, env);
      }),
    );
}

function renderEnvironment(ctx: CommandContext, s: EnvironmentStatus): void {
  const { out } = ctx;
  out.line();
  if (!s.connected) {
    const was = s.account ? ` (was ${s.account.id}, disconnected ${when(s.disconnectedAt)})` : '';
    out.line(`${out.paint('bold', s.environment)}  ${out.paint('yellow', 'not connected')}${was}`);
    out.line(`  connect with: paywire config set ${s.environment}`);
    if (s.alerts.open) {
      out.fields([['  alerts', alertSummary(ctx, s)]]);
      renderLatestAlerts(ctx, s);
    }
    return;
  }
  const account = s.account ? `${s.account.id}${s.account.name ? ` (${s.account.name})` : ''}` : '-';
  out.line(`${out.paint('bold', s.environment)}  ${out.paint('green', 'connected')}`);
  const w = s.webhookEndpoint;
  const outdated = w && !w.upToDate ? `, OUT OF DATE: run paywire webhooks configure ${s.environment}` : '';
  const endpoint = w
    ? `${w.id} ${w.url ?? ''} (API ${w.apiVersion ?? '-'}, ${w.enabledEvents} event types${outdated})`
    : `none: run paywire webhooks configure ${s.environment}`;
  const e = s.events;
  const lastEvent = e.lastEventId
    ? `${e.lastEventType} ${e.lastEventId}, ${age(e.lastEventAgeSeconds)}`
    : 'none received yet';
  const sync = s.lastSync
    ? `${s.lastSync.kind} ${s.lastSync.status}, started ${when(s.lastSync.startedAt)}${s.lastSync.finishedAt ? `, finished ${when(s.lastSync.finishedAt)}` : ''}${s.lastSync.error ? ` (${s.lastSync.error})` : ''}`
    : 'never';
  out.fields([
    ['  account', account],
    ['  key', `${s.maskedKey ?? '-'} (${s.keyKind ?? '-'})`],
    ['  connected', when(s.connectedAt)],
    ['  webhook', endpoint],
    ['  last event', lastEvent],
    [
      '  events',
      `${e.failed ? out.paint('red', `${e.failed} failed`) : '0 failed'}, ${e.pending} pending${e.failed ? ` (paywire events retry --failed -e ${s.environment})` : ''}`,
    ],
    ['  last sync', sync],
    ['  last repair', s.lastRepair ? `${age(s.lastRepair.ageSeconds)}: ${s.lastRepair.summary}` : 'never'],
    ['  alerts', alertSummary(ctx, s)],
  ]);
  renderLatestAlerts(ctx, s);
}

/** Open alerts (payment failures in a row, webhook failures, backlog): how many, and where to see them. */
function alertSummary({ out }: CommandContext, s: EnvironmentStatus): string {
  return s.alerts.open
    ? out.paint('red', `${s.alerts.open} open (paywire alerts list -e ${s.environment})`)
    : 'none open';
}

function renderLatestAlerts({ out }: CommandContext, s: EnvironmentStatus): void {
  for (const alert of s.alerts.latest)
    out.line(`    ${when(alert.openedAt)}  ${alert.kind}: ${alert.message}`);
}
