import type { Command } from 'commander';
import type { ResponseOf, Schemas } from '../../sdk/types';
import { action } from '../context';
import { CliError, EXIT } from '../errors';
import { when } from '../output';
import { type Env, envOption, listCommand, type PageOptions, withPaging } from './options';

type HookEndpoint = Schemas['HookEndpoint'];
type HookEndpointWithSecret = Schemas['HookEndpointWithSecret'];
type HookDelivery = Schemas['HookDelivery'];
type HookDeliveryRetry = Schemas['HookDeliveryRetry'];

/** `paywire hooks …`: the app's endpoints that receive outbox messages, and their deliveries. */
export function registerHooks(program: Command): void {
  const hooks = program
    .command('hooks')
    .description("The app's endpoints that receive outbox messages (signed POSTs), and their deliveries");
  registerAdd(hooks);
  registerList(hooks);
  registerRemove(hooks);
  registerDeliveries(hooks);
  registerRetry(hooks);
}

function registerAdd(hooks: Command): void {
  hooks
    .command('add')
    .description('Register an endpoint; prints its signing secret once')
    .argument('<url>', 'https URL of the app (http only for localhost / 127.0.0.1)')
    .requiredOption(
      '--events <topics>',
      "comma separated topics (e.g. payment.succeeded,payment.refunded) or '*'",
    )
    .option('--description <text>', 'a note for operators')
    .addOption(envOption())
    .action(
      action(async (ctx, url: string, options: { events: string; description?: string; env: Env }) => {
        const events = options.events
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        if (events.length === 0) throw CliError.usage('Give at least one topic with --events (or *).');
        const created = await ctx
          .api()
          .request<HookEndpointWithSecret>('POST', `/admin/v1/${options.env}/hooks`, {
            body: { url, events, ...(options.description ? { description: options.description } : {}) },
          });
        if (ctx.out.json) return ctx.out.data(created);
        ctx.out.line(`Hook endpoint ${created.id} → ${created.url} (${created.events.join(', ')})`);
        ctx.out.line(`Signing secret (shown this once; store it in the app): ${created.secret}`);
        ctx.out.note(
          'Verify deliveries with verifyPaywireSignature from paywire/sdk; dedupe on the message id.',
        );
      }),
    );
}

function registerList(hooks: Command): void {
  hooks
    .command('list')
    .description("The environment's hook endpoints (secrets masked)")
    .addOption(envOption())
    .action(
      action(async (ctx, options: { env: Env }) => {
        const result = await ctx
          .api()
          .request<ResponseOf<'/admin/v1/{env}/hooks', 'get'>>('GET', `/admin/v1/${options.env}/hooks`);
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.table(
          result.data,
          [
            { header: 'id', value: (e: HookEndpoint) => e.id },
            { header: 'url', value: (e) => e.url, max: 60 },
            { header: 'events', value: (e) => e.events.join(','), max: 50 },
            { header: 'enabled', value: (e) => (e.enabled ? 'yes' : ctx.out.paint('red', 'no')) },
            { header: 'secret', value: (e) => e.secretMasked },
          ],
          `No hook endpoints in ${options.env}.`,
        );
      }),
    );
}

function registerRemove(hooks: Command): void {
  hooks
    .command('remove')
    .description('Remove an endpoint and its deliveries (asks first; --yes skips)')
    .argument('<id>', 'endpoint id')
    .addOption(envOption())
    .action(
      action(async (ctx, id: string, options: { env: Env }) => {
        await ctx.confirm(`Remove hook endpoint ${id} (${options.env}) and its pending deliveries?`);
        const result = await ctx
          .api()
          .request<ResponseOf<'/admin/v1/{env}/hooks/{id}', 'delete'>>(
            'DELETE',
            `/admin/v1/${options.env}/hooks/${encodeURIComponent(id)}`,
          );
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.line(`Removed hook endpoint ${result.id}.`);
      }),
    );
}

function registerDeliveries(hooks: Command): void {
  withPaging(
    hooks
      .command('deliveries')
      .description('Deliveries of outbox messages, newest first')
      .addOption(envOption())
      .option('--status <status>', 'pending | delivered | dead')
      .option('--endpoint <id>', 'one endpoint'),
  ).action(
    action(async (ctx, options: { env: Env; status?: string; endpoint?: string } & PageOptions) => {
      await listCommand<HookDelivery>(
        ctx,
        `/admin/v1/${options.env}/hooks/deliveries`,
        { status: options.status, endpoint: options.endpoint },
        options,
        (rows) =>
          ctx.out.table(
            rows,
            [
              { header: 'created', value: (d) => when(d.createdAt) },
              { header: 'id', value: (d) => d.id, align: 'right' },
              { header: 'message', value: (d) => d.outboxId, align: 'right' },
              { header: 'endpoint', value: (d) => d.endpointId.slice(0, 8) },
              {
                header: 'status',
                value: (d) => (d.status === 'dead' ? ctx.out.paint('red', d.status) : d.status),
              },
              { header: 'tries', value: (d) => d.attempts, align: 'right' },
              { header: 'error', value: (d) => d.lastError ?? '', max: 40 },
            ],
            `No deliveries in ${options.env}.`,
          ),
      );
    }),
  );
}

function registerRetry(hooks: Command): void {
  hooks
    .command('retry')
    .description('Deliver a dead delivery again (or every dead one with --all-dead)')
    .argument('[id]', 'delivery id')
    .addOption(envOption())
    .option('--all-dead', 'every dead delivery of the environment')
    .option('--endpoint <id>', 'with --all-dead: only this endpoint')
    .action(
      action(
        async (ctx, id: string | undefined, options: { env: Env; allDead?: boolean; endpoint?: string }) => {
          if (!id === !options.allDead) throw CliError.usage('Give a delivery id, or --all-dead (not both).');
          const api = ctx.api();
          const total: HookDeliveryRetry = { retried: 0, enqueued: 0, remaining: 0 };
          if (id) {
            Object.assign(
              total,
              await api.request<HookDeliveryRetry>(
                'POST',
                `/admin/v1/${options.env}/hooks/deliveries/${encodeURIComponent(id)}/retry`,
              ),
            );
          } else {
            // 500 per call: go on while dead ones remain and a call still revived some.
            for (let round = 0; round < 1000; round++) {
              const r = await api.request<HookDeliveryRetry>(
                'POST',
                `/admin/v1/${options.env}/hooks/deliveries/retry-dead`,
                {
                  query: { endpoint: options.endpoint },
                },
              );
              total.retried += r.retried;
              total.enqueued += r.enqueued;
              total.remaining = r.remaining;
              if (r.remaining === 0 || r.retried === 0) break;
            }
          }
          if (ctx.out.json) return ctx.out.data(total);
          ctx.out.line(
            `Retried ${total.retried} deliver${total.retried === 1 ? 'y' : 'ies'}, ${total.enqueued} enqueued.`,
          );
          if (total.retried > total.enqueued)
            ctx.out.warn(
              'The Worker has no OUTBOX_QUEUE binding: the deliveries are pending but nothing pushes them.',
            );
          if (total.remaining > 0) process.exitCode = EXIT.FAILED;
        },
      ),
    );
}
