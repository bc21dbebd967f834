/** Opens a direct (non-HTTP) connection for tools: a real Postgres by URL, or the embedded PGlite. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationExecutor } from './migrate.ts';

export interface ToolDatabase extends MigrationExecutor {
  description: string;
  close(): Promise<void>;
}

export const DEFAULT_PGLITE_DIR = join(process.cwd(), '.paywire', 'pglite');

export async function openDatabase(url?: string, pgliteDir = DEFAULT_PGLITE_DIR): Promise<ToolDatabase> {
  if (url) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const u = new URL(url);
    return {
      description: `postgres ${u.hostname}${u.pathname}`,
      query: async (text, params) => ({ rows: (await client.query(text, params as unknown[])).rows }),
      exec: async (text) => {
        await client.query(text);
      },
      close: () => client.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  mkdirSync(pgliteDir, { recursive: true });
  const db = await PGlite.create(pgliteDir);
  return {
    description: `embedded PGlite at ${pgliteDir}`,
    query: async (text, params) => ({ rows: (await db.query<Record<string, unknown>>(text, params)).rows }),
    exec: async (text) => {
      await db.exec(text);
    },
    close: () => db.close(),
  };
}
