/**
 * Endpoint lifecycles beyond the isolate-mode suites: dev mode (one database, persistent PGlite
 * data dir), PGlite instance eviction, and cleanup of the databases created on Postgres.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { neon, neonConfig } from '@neondatabase/serverless';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type SqlExecutor, startNeonEndpoint } from '../../../dev/neon/index.ts';
import { connectionString, POSTGRES_URL } from './helpers.ts';

const countNotes = async (database: string) => {
  const [row] = await neon(connectionString(database))`select count(*)::int as c from notes`;
  return row?.c;
};

describe('PGlite dev mode (isolate=false)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywire-neon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves every database name from one persistent data dir; initDatabase runs at each start', async () => {
    let inits = 0;
    const initDatabase = async (db: SqlExecutor) => {
      inits++;
      await db.exec('create table if not exists notes (body text)');
    };
    const first = await startNeonEndpoint({ backend: { kind: 'pglite', dataDir: dir }, initDatabase });
    try {
      neonConfig.fetchEndpoint = first.url;
      await neon(connectionString('one'))`insert into notes values ('kept')`;
      expect(await countNotes('another')).toBe(1);
    } finally {
      await first.close();
    }

    const second = await startNeonEndpoint({ backend: { kind: 'pglite', dataDir: dir }, initDatabase });
    try {
      neonConfig.fetchEndpoint = second.url;
      expect(await neon(connectionString('neondb'))`select body from notes`).toEqual([{ body: 'kept' }]);
      expect(inits).toBe(2);
    } finally {
      await second.close();
    }
    await expect(fetch(second.url, { method: 'POST' })).rejects.toThrow();
  }, 120_000); // two PGlite starts
});

describe('PGlite isolate mode with maxLive=1', () => {
  it('evicts the least recently used database and reloads it intact', async () => {
    const lines: string[] = [];
    const endpoint = await startNeonEndpoint({
      backend: { kind: 'pglite', maxLive: 1 },
      isolate: true,
      initDatabase: (db) => db.exec('create table notes (body text)'),
      log: (line) => lines.push(line),
    });
    try {
      neonConfig.fetchEndpoint = endpoint.url;
      const a = neon(connectionString('evict_a'));
      const b = neon(connectionString('evict_b'));
      await a`insert into notes values ('a1')`;
      await b`insert into notes values ('b1')`; // unloads evict_a
      // interleaved requests force unload/reload round trips; each database keeps its own rows
      await Promise.all([a`insert into notes values ('a2')`, b`insert into notes values ('b2')`]);
      expect(await a`select array_agg(body order by body) as v from notes`).toEqual([{ v: ['a1', 'a2'] }]);
      expect(await b`select array_agg(body order by body) as v from notes`).toEqual([{ v: ['b1', 'b2'] }]);
      expect(lines.some((l) => l.includes('unloaded "evict_a"'))).toBe(true);
      expect(lines.some((l) => l.includes('reloaded database "evict_a"'))).toBe(true);
    } finally {
      await endpoint.close();
    }
  }, 120_000); // template + several dump/reload cycles
});

describe.skipIf(!POSTGRES_URL)(
  `Postgres lifecycle${POSTGRES_URL ? '' : ' — skipped: TEST_DATABASE_URL is not set'}`,
  () => {
    const admin = () => new pg.Client({ connectionString: POSTGRES_URL });
    const databasesLike = async (pattern: string) => {
      const client = admin();
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string }>(
          'select datname from pg_database where datname like $1 order by 1',
          [pattern],
        );
        return rows.map((r) => r.datname);
      } finally {
        await client.end();
      }
    };

    it('isolate mode: close() drops every database it created, template included', async () => {
      const endpoint = await startNeonEndpoint({
        backend: { kind: 'postgres', url: POSTGRES_URL! },
        isolate: true,
        initDatabase: (db) => db.exec('create table notes (body text)'),
      });
      let run = '';
      try {
        neonConfig.fetchEndpoint = endpoint.url;
        const [row] = await neon(connectionString('Weird Name!/ü'))`select current_database() as db`;
        const physical = row?.db as string;
        expect(physical).toMatch(/^paywire_t_[0-9a-f]{8}_1_weird_name$/);
        run = physical.split('_')[2]!;
        await neon(connectionString('second'))`insert into notes values ('x')`;
        expect(await databasesLike(`paywire_%${run}%`)).toHaveLength(3);
      } finally {
        await endpoint.close();
      }
      expect(await databasesLike(`paywire_%${run}%`)).toEqual([]);
    });

    it('dev mode: all names go to the URL’s own database, which is left in place', async () => {
      const scratch = `paywire_devmode_${Date.now().toString(36)}`;
      const client = admin();
      await client.connect();
      await client.query(`create database ${scratch}`);
      try {
        const url = new URL(POSTGRES_URL!);
        url.pathname = `/${scratch}`;
        const endpoint = await startNeonEndpoint({
          backend: { kind: 'postgres', url: url.toString() },
          initDatabase: (db) => db.exec('create table if not exists notes (body text)'),
        });
        try {
          neonConfig.fetchEndpoint = endpoint.url;
          const [row] = await neon(connectionString('anything'))`select current_database() as db`;
          expect(row?.db).toBe(scratch);
          await neon(connectionString('x'))`insert into notes values ('y')`;
          expect(await countNotes('z')).toBe(1);
        } finally {
          await endpoint.close();
        }
        expect(await databasesLike(scratch)).toEqual([scratch]);
      } finally {
        await client.query(`drop database if exists ${scratch} with (force)`);
        await client.end();
      }
    });
  },
);
