import { Argument, type Command } from 'commander';
import type { ManagedWebhookEndpoint } from '../../sdk/types';
import { action } from '../context';
import { ENVIRONMENTS, type Env } from './options';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('The Stripe webhook endpoint Paywire manages');

  webhooks
    .command('configure')
    .description('Create or replace the managed webhook endpoint of an environment')
    .addArgument(new Argument('<env>', 'environment').choices([...ENVIRONMENTS]))
    .option(
      '--url <publicUrl>',
      "public base URL of the Worker (default: PAYWIRE_PUBLIC_URL or the Worker's own origin)",
    )
    .action(
      action(async (ctx, env: Env, options: { url?: string }) => {
        const result = await ctx.spin(`Configuring the ${env} webhook endpoint`, () =>
          ctx.api().request<ManagedWebhookEndpoint>('POST', `/admin/v1/${env}/webhook-endpoint`, {
            body: options.url ? { url: options.url } : {},
          }),
        );
        if (ctx.out.json) return ctx.out.data(result);
        const e = result.endpoint;
        ctx.out.line(`Webhook endpoint ${e.id} → ${e.url}`);
        ctx.out.line(
          `  API version ${e.apiVersion ?? '-'}, ${e.enabledEvents.length} event types, ${e.status}`,
        );
        for (const r of result.replaced) {
          if (r.removed) ctx.out.line(`Replaced and removed ${r.id}${r.url ? ` (${r.url})` : ''}.`);
          else
            ctx.out.warn(
              `Replaced ${r.id} but could not remove it (${r.reason}); delete it in the Stripe dashboard.`,
            );
        }
        if (result.unmanaged.length > 0) {
          ctx.out.line(`Other endpoints on this account (not managed by this Paywire, left alone):`);
          ctx.out.table(result.unmanaged, [
            { header: 'id', value: (u) => u.id },
            { header: 'url', value: (u) => u.url },
            { header: 'status', value: (u) => u.status },
            { header: 'events', value: (u) => u.enabledEvents.length, align: 'right' },
            { header: 'note', value: (u) => (u.paywireManaged ? 'another Paywire deployment' : '') },
          ]);
        }
      }),
    );
}
