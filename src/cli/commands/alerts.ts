import type { Command } from 'commander';
import type { Schemas } from '../../sdk/types';
import { action } from '../context';
import { CliError } from '../errors';
import { when } from '../output';
import { type Env, envOption, listCommand, type PageOptions, positiveInt, withPaging } from './options';

type Alert = Schemas['Alert'];
type AlertSettings = Schemas['AlertSettings'];
type BillingAuditEntry = Schemas['BillingAuditEntry'];

/** `paywire alerts …`: open and past alerts, their thresholds, and the billing audit. */
export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'Alerts (payment failures in a row, failed webhook events, backlog), thresholds, billing audit',
    );
  registerList(alerts);
  registerSettings(alerts);
  registerAudit(alerts);
}

function registerList(alerts: Command): void {
  withPaging(
    alerts
      .command('list')
      .description('Alerts, newest first (open ones by default)')
      .addOption(envOption())
      .option('--status <status>', 'open | resolved | all', 'open')
      .option('--kind <kind>', 'payment_failures | webhook_failures | webhook_backlog'),
  ).action(
    action(async (ctx, options: { env: Env; status: string; kind?: string } & PageOptions) => {
      await listCommand<Alert>(
        ctx,
        `/admin/v1/${options.env}/alerts`,
        { status: options.status, kind: options.kind },
        options,
        (rows) =>
          ctx.out.table(
            rows,
            [
              { header: 'opened', value: (a) => when(a.openedAt) },
              { header: 'kind', value: (a) => a.kind },
              { header: 'subject', value: (a) => (a.subjectType ? `${a.subjectType}:${a.subjectId}` : '') },
              {
                header: 'state',
                value: (a) =>
                  a.resolvedAt ? `resolved ${when(a.resolvedAt)}` : ctx.out.paint('red', 'open'),
              },
              { header: 'message', value: (a) => a.message, max: 70 },
            ],
            `No ${options.status === 'all' ? '' : `${options.status} `}alerts in ${options.env}.`,
          ),
      );
    }),
  );
}

interface SettingsOptions {
  env: Env;
  paymentFailures?: number;
  webhookFailures?: number;
  webhookBacklog?: number;
  backlogMinutes?: number;
}

function registerSettings(alerts: Command): void {
  alerts
    .command('settings')
    .description('Show the alert thresholds, or change the ones given')
    .addOption(envOption())
    .option('--payment-failures <n>', 'failed payments in a row for one subject', positiveInt)
    .option('--webhook-failures <n>', 'webhook events in failed', positiveInt)
    .option('--webhook-backlog <n>', 'webhook events pending longer than --backlog-minutes', positiveInt)
    .option('--backlog-minutes <n>', 'age from which a pending event counts as backlog', positiveInt)
    .action(
      action(async (ctx, options: SettingsOptions) => {
        const { env, ...changes } = options;
        const body = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
        const path = `/admin/v1/${env}/alerts/settings`;
        const settings = await (Object.keys(body).length > 0
          ? ctx.api().request<AlertSettings>('PUT', path, { body })
          : ctx.api().request<AlertSettings>('GET', path));
        if (ctx.out.json) return ctx.out.data(settings);
        ctx.out.fields([
          ['environment', settings.environment],
          ['payment failures', `${settings.paymentFailures} in a row for one subject`],
          ['webhook failures', `${settings.webhookFailures} failed events`],
          [
            'webhook backlog',
            `${settings.webhookBacklog} events pending for more than ${settings.backlogMinutes} minutes`,
          ],
          ['changed', settings.updatedAt ? when(settings.updatedAt) : 'never (defaults)'],
        ]);
      }),
    );
}

function registerAudit(alerts: Command): void {
  withPaging(
    alerts
      .command('audit')
      .description('Billing audit: status changes of subscriptions and payments, newest first')
      .addOption(envOption())
      .option('--subject <type:id>', 'one billing subject, e.g. team:acme')
      .option('--object <id>', 'one Stripe object (sub_…, in_…, pi_…, cs_…, re_…)'),
  ).action(
    action(async (ctx, options: { env: Env; subject?: string; object?: string } & PageOptions) => {
      const at = options.subject?.indexOf(':') ?? -1;
      if (options.subject !== undefined && at <= 0)
        throw CliError.usage('--subject takes <type>:<id>, e.g. team:acme');
      await listCommand<BillingAuditEntry>(
        ctx,
        `/admin/v1/${options.env}/billing-audit`,
        {
          subject_type: options.subject?.slice(0, at),
          subject_id: options.subject?.slice(at + 1),
          object: options.object,
        },
        options,
        (rows) =>
          ctx.out.table(
            rows,
            [
              { header: 'at', value: (e) => when(e.createdAt) },
              { header: 'object', value: (e) => e.stripeObjectId },
              { header: 'kind', value: (e) => e.kind ?? e.entity },
              { header: 'subject', value: (e) => (e.subjectType ? `${e.subjectType}:${e.subjectId}` : '') },
              { header: 'change', value: (e) => `${e.oldStatus ?? '∅'} → ${e.newStatus}` },
              { header: 'event', value: (e) => e.stripeEventId ?? '' },
            ],
            `No billing audit entries in ${options.env}.`,
          ),
      );
    }),
  );
}
