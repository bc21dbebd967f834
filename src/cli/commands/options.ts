import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Page } from '../../sdk/types';
import type { Query } from '../api-client';
import type { CommandContext } from '../context';

export const ENVIRONMENTS = ['test', 'live'] as const;
export type Env = (typeof ENVIRONMENTS)[number];

/** `-e, --env <env>` (test | live, default test) for commands that read one environment. */
export const envOption = () =>
  new Option('-e, --env <env>', 'Stripe environment').choices([...ENVIRONMENTS]).default('test');

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** --limit, --cursor, --all on list commands. */
export function withPaging(command: Command): Command {
  return command
    .option('--limit <n>', 'rows per page (1-100)', positiveInt)
    .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
    .option('--all', 'follow every page');
}

/**
 * One page (or all pages with --all) of a list route. With --json the API's page is printed as is
 * (all pages merged into one page with nextCursor null); otherwise `render` draws it and the
 * cursor of the next page is mentioned on stderr.
 */
export async function listCommand<T>(
  ctx: CommandContext,
  path: string,
  query: Query,
  paging: PageOptions,
  render: (rows: T[]) => void,
): Promise<void> {
  const api = ctx.api();
  const page: Page<T> = paging.all
    ? await api.all<T>(path, query)
    : await api.request<Page<T>>('GET', path, {
        query: { ...query, limit: paging.limit, cursor: paging.cursor },
      });
  if (ctx.out.json) {
    ctx.out.data(page);
    return;
  }
  render(page.data);
  if (page.nextCursor) ctx.out.note(`More rows: add --cursor ${page.nextCursor} (or --all)`);
}
