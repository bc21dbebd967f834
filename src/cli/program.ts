import { Command, CommanderError } from 'commander';
import { registerAlerts } from './commands/alerts';
import { registerCatalog } from './commands/catalog';
import { registerConfig } from './commands/config';
import { registerDev } from './commands/dev';
import { registerEncryption } from './commands/encryption';
import { registerEvents } from './commands/events';
import { registerHistory } from './commands/history';
import { registerHooks } from './commands/hooks';
import { registerOutbox } from './commands/outbox';
import { registerPrices } from './commands/prices';
import { registerProducts } from './commands/products';
import { registerRecipes } from './commands/recipes';
import { registerStatus } from './commands/status';
import { registerSubscriptions } from './commands/subscriptions';
import { registerSync } from './commands/sync';
import { registerWebhooks } from './commands/webhooks';
import { CliError, EXIT, type ExitCode } from './errors';
import { Output } from './output';

export const CLI_VERSION = '0.1.0';

/**
 * The command tree. Groups are nouns (config, webhooks, catalog, subscriptions, events,
 * encryption, dev); later work adds siblings there (`catalog create`, `subscriptions cancel`)
 * and top-level verbs such as `sync [env]` next to `status`.
 */
export function createProgram(): Command {
  const program = new Command('paywire')
    .description('Operate Paywire (Stripe payments on a Cloudflare Worker) through its admin API')
    .version(CLI_VERSION)
    .option('--url <url>', 'Paywire base URL (or PAYWIRE_URL, or "url" in the config file)')
    .option('--admin-key <key>', 'admin API key (or PAYWIRE_ADMIN_KEY, or "adminKey" in the config file)')
    .option('--config <path>', 'config file (or PAYWIRE_CONFIG; default ~/.config/paywire/config.json)')
    .option('--json', 'print the API JSON exactly, for scripts')
    .option('-y, --yes', 'do not ask for confirmation')
    .showHelpAfterError('(paywire help <command> shows its usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 API/operation failed, 2 usage or configuration, 3 admin key refused, 4 Paywire unreachable, 130 cancelled.',
    );
  registerStatus(program);
  registerConfig(program);
  registerWebhooks(program);
  registerCatalog(program);
  registerProducts(program);
  registerPrices(program);
  registerSubscriptions(program);
  registerHistory(program);
  registerEvents(program);
  registerAlerts(program);
  registerHooks(program);
  registerOutbox(program);
  registerSync(program);
  registerRecipes(program);
  registerEncryption(program);
  registerDev(program);
  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function run(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    return report(err, argv.includes('--json'));
  }
}

function report(err: unknown, json: boolean): ExitCode {
  if (err instanceof CommanderError) {
    // Commander already printed help or its usage message.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return EXIT.OK;
    return EXIT.USAGE;
  }
  const out = new Output(json);
  if (err instanceof CliError) {
    if (json) out.data(err.body);
    out.error(err.message);
    return err.exitCode;
  }
  out.error(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
  return EXIT.FAILED;
}
