/**
 * `npm run db:migrate` semantics: applies every migration, is a no-op the second time, and is
 * atomic (a failing migration leaves nothing of any pending migration behind). Runs on PGlite
 * and, when TEST_DATABASE_URL is set, on a fresh database of that server.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Migration, type MigrationExecutor, migrate, readMigrations } from '../../../dev/db/migrate';

interface Backend {
  name: string;
  open(): Promise<MigrationExecutor & { close(): Promise<void> }>;
}

const created: string[] = [];
const adminUrl = process.env.TEST_DATABASE_URL;

const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const db = await PGlite.create();
      return {
        query: async (text, params) => ({
          rows: (await db.query<Record<string, unknown>>(text, params)).rows,
        }),
        exec: async (text) => {
          await db.exec(text);
        },
        close: () => db.close(),
      };
    },
  },
];
if (adminUrl) {
  backends.push({
    name: 'postgres',
    async open() {
      const name = `paywire_migrate_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      return {
        query: async (text, params) => ({ rows: (await client.query(text, params as unknown[])).rows }),
        exec: async (text) => {
          await client.query(text);
        },
        close: () => client.end(),
      };
    },
  });
}

afterAll(async () => {
  if (!adminUrl || created.length === 0) return;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe.each(backends)('migrations on $name', (backend) => {
  it('apply everything, then nothing the second time', async () => {
    const db = await backend.open();
    try {
      const all = readMigrations();
      const first = await migrate(db);
      expect(first.applied).toEqual(all.map((m) => m.tag));
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      const { rows } = await db.query(
        "select count(*)::int as n from pg_tables where schemaname = 'paywire'",
      );
      expect(rows[0]!.n).toBeGreaterThanOrEqual(15);
      const journal = await db.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      expect(journal.rows[0]!.n).toBe(all.length);
    } finally {
      await db.close();
    }
  });

  it('are atomic: a failing migration leaves no trace of any pending one', async () => {
    const db = await backend.open();
    try {
      const real = readMigrations();
      const broken: Migration = {
        tag: '9999_broken',
        when: Number.MAX_SAFE_INTEGER,
        hash: 'x',
        statements: ['CREATE TABLE paywire.half_done (id int)', 'SELECT * FROM no_such_table'],
      };
      await expect(migrate(db, { migrations: [...real, broken] })).rejects.toThrow(/no_such_table/);
      const { rows } = await db.query(
        "select count(*)::int as n from pg_namespace where nspname = 'paywire'",
      );
      expect(rows[0]!.n).toBe(0);
      // and the real ones still apply cleanly afterwards
      expect((await migrate(db)).applied).toHaveLength(real.length);
    } finally {
      await db.close();
    }
  });
});
