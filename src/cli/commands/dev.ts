import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { type Env, envOption } from './options';

/**
 * `paywire dev …`: helpers for local development against the Stripe emulator (npm run dev).
 * They talk to the emulator's control API, never to real Stripe.
 */
export function registerDev(program: Command): void {
  const dev = program.command('dev').description('Local development helpers (Stripe emulator only)');

  dev
    .command('trigger')
    .description('Run a Stripe flow in the emulator (e.g. checkout.payment), like `stripe trigger`')
    .argument('<flow>', 'flow name; `paywire dev triggers` lists them')
    .addOption(envOption())
    .option('--stripe-url <url>', 'emulator base URL (or PAYWIRE_STRIPE_URL)')
    .option(
      '--stripe-key <key>',
      "secret key of the account to act on (or PAYWIRE_STRIPE_KEY; default: the emulator's first account)",
    )
    .option('--account <acct_…>', 'pick the emulator account by id instead of the first one')
    .option('--param <key=value...>', 'trigger options, e.g. --param amount=2500 --param currency=eur')
    .action(
      action(
        async (
          ctx,
          flow: string,
          options: { env: Env; stripeUrl?: string; stripeKey?: string; account?: string; param?: string[] },
        ) => {
          const base = emulatorUrl(ctx, options.stripeUrl);
          const key =
            options.stripeKey ||
            ctx.env.PAYWIRE_STRIPE_KEY ||
            (await emulatorKey(base, options.env, options.account));
          const result = await emulatorCall(
            base,
            'POST',
            `/_emulator/triggers/${encodeURIComponent(flow)}`,
            key,
            params(options.param),
          );
          if (ctx.out.json) return ctx.out.data(result);
          const r = result as {
            objects?: Record<string, string | null>;
            events?: Array<{ id: string; type: string }>;
          };
          ctx.out.line(`Triggered ${flow} in ${options.env}.`);
          for (const [k, v] of Object.entries(r.objects ?? {})) if (v) ctx.out.line(`  ${k}: ${v}`);
          ctx.out.line(
            `  ${r.events?.length ?? 0} events: ${(r.events ?? []).map((e) => e.type).join(', ')}`,
          );
        },
      ),
    );

  dev
    .command('triggers')
    .description('List the flows `paywire dev trigger` can run')
    .option('--stripe-url <url>', 'emulator base URL (or PAYWIRE_STRIPE_URL)')
    .action(
      action(async (ctx, options: { stripeUrl?: string }) => {
        const result = (await emulatorCall(
          emulatorUrl(ctx, options.stripeUrl),
          'GET',
          '/_emulator/triggers',
        )) as {
          data: Array<{ flow: string; description: string }>;
        };
        if (ctx.out.json) return ctx.out.data(result);
        ctx.out.table(result.data, [
          { header: 'flow', value: (f) => f.flow },
          { header: 'what it does', value: (f) => f.description, max: 100 },
        ]);
      }),
    );
}

function emulatorUrl(ctx: CommandContext, flag: string | undefined): string {
  const url = flag || ctx.env.PAYWIRE_STRIPE_URL;
  if (!url)
    throw CliError.usage(
      'No emulator URL: pass --stripe-url or set PAYWIRE_STRIPE_URL (npm run dev prints it).',
    );
  return url.replace(/\/+$/, '');
}

async function emulatorKey(base: string, env: Env, accountId: string | undefined): Promise<string> {
  const { data } = (await emulatorCall(base, 'GET', '/_emulator/accounts')) as {
    data: Array<{ account_id: string; test_secret_key: string; live_secret_key: string }>;
  };
  const account = accountId ? data.find((a) => a.account_id === accountId) : data[0];
  if (!account)
    throw CliError.usage(
      accountId ? `The emulator has no account ${accountId}.` : 'The emulator has no accounts.',
    );
  return env === 'live' ? account.live_secret_key : account.test_secret_key;
}

function params(pairs: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const i = pair.indexOf('=');
    if (i < 1) throw CliError.usage(`--param expects key=value, got "${pair}"`);
    const value = pair.slice(i + 1);
    out[pair.slice(0, i)] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

async function emulatorCall(
  base: string,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw CliError.local(
      'CLI_UNREACHABLE',
      `Cannot reach the Stripe emulator at ${base} (${cause?.code ?? (err as Error).message})`,
      EXIT.UNREACHABLE,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw CliError.local(
      'CLI_UNREACHABLE',
      `${base} is not the Stripe emulator (HTTP ${response.status}, not JSON)`,
      EXIT.UNREACHABLE,
    );
  }
  if (!response.ok) {
    const message = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`;
    throw new CliError(`Emulator: ${message}`, EXIT.FAILED, { error: { code: 'EMULATOR_ERROR', message } });
  }
  return json;
}
