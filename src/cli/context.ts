import { confirm, isCancel, spinner } from '@clack/prompts';
import type { Command } from 'commander';
import { AdminApi } from './api-client';
import { type CliConfig, requireApiConfig, resolveConfig } from './config';
import { CliError, EXIT } from './errors';
import { Output } from './output';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  url?: string;
  adminKey?: string;
  config?: string;
  json?: boolean;
  yes?: boolean;
}

/** What a command action gets: output, configuration, the API client, confirmations, spinners. */
export class CommandContext {
  readonly out: Output;
  private resolved: CliConfig | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.out = new Output(!!globals.json);
  }

  static from(command: Command): CommandContext {
    return new CommandContext(command.optsWithGlobals<GlobalOptions>());
  }

  config(): CliConfig {
    this.resolved ??= resolveConfig({
      flags: { url: this.globals.url, adminKey: this.globals.adminKey, config: this.globals.config },
      env: this.env,
    });
    return this.resolved;
  }

  api(): AdminApi {
    return new AdminApi(requireApiConfig(this.config()));
  }

  /** Asks before a destructive step; --yes skips it; without a terminal it refuses (exit 2). */
  async confirm(message: string): Promise<void> {
    if (this.globals.yes) return;
    if (!this.out.interactive) {
      throw CliError.usage(`${message} Refusing without --yes: there is no terminal to confirm on.`);
    }
    const answer = await confirm({ message, output: process.stderr, initialValue: false });
    if (isCancel(answer) || answer !== true) {
      throw CliError.local('CLI_CANCELLED', 'Cancelled; nothing was changed.', EXIT.CANCELLED);
    }
  }

  /** Runs `work` under a spinner on a terminal (never with --json or when piped). */
  async spin<T>(label: string, work: () => Promise<T>): Promise<T> {
    if (this.out.json || !this.out.interactive) return work();
    const s = spinner({ output: process.stderr });
    s.start(label);
    try {
      const result = await work();
      s.stop(label);
      return result;
    } catch (err) {
      s.error(label);
      throw err;
    }
  }
}

/** Wraps a command action: builds its context from the parsed options. */
export function action<A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    await fn(CommandContext.from(command), ...(args.slice(0, -1) as A));
  };
}
