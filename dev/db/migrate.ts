/**
 * Applies the SQL migrations in migrations/ (drizzle-kit's journal format) to a database.
 *
 * Bookkeeping is drizzle's own (`drizzle.__drizzle_migrations`, sha256 of each file, journal
 * `when` as created_at), so `drizzle-kit migrate` and this runner agree on what is applied.
 * All pending migrations run as ONE multi-statement script, which Postgres executes as a
 * single implicit transaction: either every pending migration lands or none does. An advisory
 * lock serializes concurrent runners; a runner that loses the race re-reads and finds nothing
 * left to do.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MigrationExecutor {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  exec(sqlText: string): Promise<void>;
}

export interface Migration {
  tag: string;
  when: number;
  hash: string;
  statements: string[];
}

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
const LOCK_KEY = 727_274_001; // arbitrary, constant: "paywire migrations"

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const journal = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string; when: number }>;
  };
  return journal.entries.map((entry) => {
    const text = readFileSync(join(dir, `${entry.tag}.sql`), 'utf8');
    return {
      tag: entry.tag,
      when: entry.when,
      hash: createHash('sha256').update(text).digest('hex'),
      statements: text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    };
  });
}

async function lastApplied(db: MigrationExecutor): Promise<number> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS drizzle;
CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  const { rows } = await db.query('select max(created_at)::text as last from drizzle.__drizzle_migrations');
  const last = rows[0]?.last;
  return last == null ? 0 : Number(last);
}

function pendingScript(pending: Migration[], after: number): string {
  const parts = [
    `SELECT pg_advisory_xact_lock(${LOCK_KEY})`,
    // Another runner may have finished while we waited for the lock: abort instead of
    // applying twice (the caller re-reads and retries).
    `DO $$ BEGIN IF coalesce((SELECT max(created_at) FROM drizzle.__drizzle_migrations), 0) <> ${after} THEN RAISE EXCEPTION 'paywire: migrations changed concurrently' USING ERRCODE = '40001'; END IF; END $$`,
  ];
  for (const m of pending) {
    parts.push(...m.statements);
    parts.push(`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('${m.hash}', ${m.when})`);
  }
  return `${parts.map((p) => p.replace(/;\s*$/, '')).join(';\n')};`;
}

export async function migrate(
  db: MigrationExecutor,
  options: { migrations?: Migration[] } = {},
): Promise<{ applied: string[] }> {
  const migrations = options.migrations ?? readMigrations();
  for (let attempt = 0; ; attempt++) {
    const after = await lastApplied(db);
    const pending = migrations.filter((m) => m.when > after);
    if (pending.length === 0) return { applied: [] };
    try {
      await db.exec(pendingScript(pending, after));
      return { applied: pending.map((m) => m.tag) };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '40001' && attempt < 3) continue;
      throw err;
    }
  }
}
