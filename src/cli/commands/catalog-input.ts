import { isCancel, select, text } from '@clack/prompts';
import { InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';

/**
 * Input helpers of the catalog commands: a required value comes from its flag, else (on a
 * terminal) from a prompt, else the command fails with a usage error naming the flag.
 */

function cancelled(): never {
  throw CliError.local('CLI_CANCELLED', 'Cancelled; nothing was changed.', EXIT.CANCELLED);
}

export async function requireText(
  ctx: CommandContext,
  value: string | undefined,
  flag: string,
  prompt: { message: string; initial?: string; validate?: (v: string) => string | undefined },
): Promise<string> {
  if (value !== undefined) return value;
  if (ctx.out.json || !ctx.out.interactive) {
    throw CliError.usage(`Missing ${flag} (no terminal to prompt on).`);
  }
  const answer = await text({
    message: prompt.message,
    initialValue: prompt.initial,
    output: process.stderr,
    validate: (v) => (v?.trim() ? prompt.validate?.(v.trim()) : 'Required (Ctrl-C to cancel)'),
  });
  if (isCancel(answer)) cancelled();
  return answer.trim();
}

export async function requireChoice<T extends string>(
  ctx: CommandContext,
  value: T | undefined,
  flag: string,
  message: string,
  options: Array<{ value: T; label: string }>,
): Promise<T> {
  if (value !== undefined) return value;
  if (ctx.out.json || !ctx.out.interactive) {
    throw CliError.usage(`Missing ${flag} (no terminal to prompt on).`);
  }
  const answer = await select<T>({ message, options: options as never, output: process.stderr });
  if (isCancel(answer)) cancelled();
  return answer as T;
}

/** `--metadata key=value` (repeatable) into an object; `key=` removes the key in updates. */
export function metadataOption(value: string, previous: Record<string, string> = {}) {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** A non-negative integer (amounts in the smallest currency unit, day counts). */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];
