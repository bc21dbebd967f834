import { isCancel, password } from '@clack/prompts';
import { Argument, type Command } from 'commander';
import type { Connection, Disconnected } from '../../sdk/types';
import { describeAdminKey } from '../config';
import { action, type CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { ENVIRONMENTS, type Env } from './options';

/**
 * `paywire config …`: the Stripe connection of each environment (set/remove) and the CLI's own
 * settings (show).
 */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('Stripe keys per environment, and the CLI settings');
  registerSet(config);
  registerRemove(config);
  registerShow(config);
}

function registerSet(config: Command): void {
  config
    .command('set')
    .description('Connect an environment to Stripe with a secret key (prompts for it when omitted)')
    .addArgument(new Argument('<env>', 'environment').choices([...ENVIRONMENTS]))
    .argument('[key]', 'Stripe secret key (sk_test_/rk_test_ or sk_live_/rk_live_); omit to type it hidden')
    .option('--key-stdin', 'read the key from standard input (for scripts: keeps it out of argv)')
    .addHelpText(
      'after',
      '\nThe key is validated with Stripe and stored encrypted; only its masked form is ever shown.\nExamples:\n  paywire config set test                       # prompts, input hidden\n  printf %s "$STRIPE_KEY" | paywire config set live --key-stdin',
    )
    .action(
      action(async (ctx, env: Env, keyArg: string | undefined, options: { keyStdin?: boolean }) => {
        const secretKey = await obtainKey(ctx, env, keyArg, options.keyStdin);
        const result = await ctx.spin(`Checking the key with Stripe and connecting ${env}`, () =>
          ctx.api().request<Connection>('PUT', `/admin/v1/${env}/connection`, { body: { secretKey } }),
        );
        if (ctx.out.json) return ctx.out.data(result);
        const name = result.accountName ? ` (${result.accountName})` : '';
        ctx.out.line(
          `Connected ${env} to ${result.accountId}${name} with ${result.maskedKey} (${result.keyKind} key).`,
        );
        if (result.accountChanged) {
          ctx.out.warn(
            `This is a different account than before (${result.previousAccountId}): the ${env} mirror was cleared and a full sync was queued.`,
          );
          const prev = result.previousWebhookEndpoint;
          if (prev && !prev.removed) {
            ctx.out.warn(
              `The previous account's webhook endpoint ${prev.id} was not removed (${prev.reason}); delete it in the Stripe dashboard.`,
            );
          }
        } else if (result.syncRequested) {
          ctx.out.line('A full sync was queued.');
        }
        if (!result.webhookEndpoint) ctx.out.line(`Next: paywire webhooks configure ${env}`);
      }),
    );
}

function registerRemove(config: Command): void {
  config
    .command('remove')
    .description('Disconnect an environment (removes the managed webhook endpoint; mirrored rows stay)')
    .addArgument(new Argument('<env>', 'environment').choices([...ENVIRONMENTS]))
    .option('--force', 'disconnect even if Stripe cannot be reached to remove the endpoint')
    .action(
      action(async (ctx, env: Env, options: { force?: boolean }) => {
        await ctx.confirm(`Disconnect ${env} from Stripe and remove its managed webhook endpoint?`);
        const result = await ctx.spin(`Disconnecting ${env}`, () =>
          ctx.api().request<Disconnected>('DELETE', `/admin/v1/${env}/connection`, {
            query: { force: options.force ? 'true' : undefined },
          }),
        );
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.line(`Disconnected ${env} (was ${result.accountId}).`);
        const endpoint = result.webhookEndpoint;
        if (endpoint?.removed) ctx.out.line(`Removed webhook endpoint ${endpoint.id}.`);
        if (endpoint && !endpoint.removed) {
          ctx.out.warn(
            `Webhook endpoint ${endpoint.id} was not removed (${endpoint.reason}); delete it in the Stripe dashboard.`,
          );
        }
      }),
    );
}

function registerShow(config: Command): void {
  config
    .command('show')
    .description('Show which Paywire URL and admin key the CLI uses, and where they come from')
    .action(
      action(async (ctx) => {
        const c = ctx.config();
        const view = {
          url: c.url || null,
          urlSource: c.sources.url,
          adminKey: c.adminKey ? 'set' : 'not set',
          adminKeySource: c.sources.adminKey,
          configFile: c.configFile,
        };
        if (ctx.out.json) return ctx.out.data(view);
        ctx.out.fields([
          ['url', `${c.url || '(not set)'} [${c.sources.url}]`],
          ['admin key', `${describeAdminKey(c.adminKey)} [${c.sources.adminKey}]`],
          ['config file', c.configFile],
        ]);
      }),
    );
}

async function obtainKey(
  ctx: CommandContext,
  env: Env,
  keyArg: string | undefined,
  fromStdin?: boolean,
): Promise<string> {
  if (keyArg && fromStdin) throw CliError.usage('Pass the key as an argument or with --key-stdin, not both.');
  if (keyArg) return keyArg.trim();
  if (fromStdin) {
    if (process.stdin.isTTY)
      throw CliError.usage('--key-stdin reads a piped key; standard input is a terminal.');
    const key = (await readStdin()).trim();
    if (!key) throw CliError.usage('--key-stdin: standard input was empty.');
    return key;
  }
  if (!ctx.out.interactive) {
    throw CliError.usage(
      `No key given and no terminal to prompt on. Pass it as an argument (paywire config set ${env} sk_${env}_…) or pipe it with --key-stdin.`,
    );
  }
  const answer = await password({
    message: `Stripe secret key for ${env} (sk_${env}_… or rk_${env}_…)`,
    mask: '•',
    output: process.stderr,
    validate: (v) => (v?.trim() ? undefined : 'Enter a key (Ctrl-C to cancel)'),
  });
  if (isCancel(answer))
    throw CliError.local('CLI_CANCELLED', 'Cancelled; nothing was changed.', EXIT.CANCELLED);
  return answer.trim();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
