/**
 * The endpoint at the HTTP level: the exact response shapes Neon's proxy produces, Postgres's
 * text format for each type, error bodies, malformed requests (4xx JSON, never a crash) and the
 * /_neon control API.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectionString, describeBackends, driverHeaders, postSql, useEndpoint } from './helpers.ts';

const ERROR_KEYS = [
  'message',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'severity',
  'where',
  'table',
  'column',
  'schema',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
];

describeBackends('local Neon endpoint: protocol', (backend) => {
  const endpoint = useEndpoint(() => ({
    backend,
    isolate: true,
    initDatabase: async (db) => {
      await db.exec('create table t (id int primary key, label text); insert into t values (1, $$one$$)');
    },
  }));
  const db = 'protocol';
  const sql = (body: unknown, headers = driverHeaders(db)) => postSql(endpoint.current, body, headers);

  describe('responses', () => {
    it('a single query: Neon’s exact JSON', async () => {
      const res = await sql({ query: 'select 1 as one', params: [] });
      expect(res.status).toBe(200);
      expect(res.contentType).toBe('application/json');
      expect(res.json).toStrictEqual({
        rowAsArray: true,
        fields: [
          {
            name: 'one',
            dataTypeID: 23,
            tableID: 0,
            columnID: 0,
            dataTypeSize: 4,
            dataTypeModifier: -1,
            format: 'text',
          },
        ],
        rows: [['1']],
        command: 'SELECT',
        rowCount: 1,
      });
    });

    it('values in Postgres’s own text format', async () => {
      const res = await sql({
        query: `select 9223372036854775807::int8 as i8, 1.50::numeric as num, true as t, false as f,
          '{"b": 2, "a": [1, "é"]}'::jsonb as jb, '2024-01-02T03:04:05.678Z'::timestamptz as ts,
          array['a', 'b c', null, '"q"', 'x\\y', '']::text[] as arr, null::text as nothing,
          '\\x00ff'::bytea as bin, 'héllo 😀 漢字'::text as uni, '{1,2}'::int[] as ints,
          '2024-01-02'::date as d, '1 day 02:03:04'::interval as iv,
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id, 1.5::float8 as f8`,
      });
      expect(res.status).toBe(200);
      const [row] = res.json.rows as unknown[][];
      const byName = Object.fromEntries(
        (res.json.fields as { name: string }[]).map((f, i) => [f.name, row![i]]),
      );
      expect(byName).toMatchObject({
        i8: '9223372036854775807',
        num: '1.50',
        t: 't',
        f: 'f',
        jb: '{"a": [1, "é"], "b": 2}',
        arr: '{a,"b c",NULL,"\\"q\\"","x\\\\y",""}',
        nothing: null,
        bin: '\\x00ff',
        uni: 'héllo 😀 漢字',
        ints: '{1,2}',
        d: '2024-01-02',
        iv: '1 day 02:03:04',
        id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        f8: '1.5',
      });
      expect(byName.ts).toMatch(/^2024-01-0[12] \d\d:\d\d:05\.678[+-]\d\d(:\d\d)?$/);
      const types = Object.fromEntries(
        (res.json.fields as { name: string; dataTypeID: number }[]).map((f) => [f.name, f.dataTypeID]),
      );
      expect(types).toMatchObject({
        i8: 20,
        num: 1700,
        t: 16,
        jb: 3802,
        ts: 1184,
        arr: 1009,
        bin: 17,
        ints: 1007,
      });
    });

    it('table columns carry tableID and columnID; command tags split as Neon does', async () => {
      const sel = await sql({ query: 'select label, id from t' });
      const fields = sel.json.fields as { tableID: number; columnID: number }[];
      expect(fields[0]!.tableID).toBeGreaterThan(0);
      expect(fields.map((f) => f.columnID)).toEqual([2, 1]);

      const tag = async (query: string) => {
        const { json } = await sql({ query });
        return [json.command, json.rowCount];
      };
      expect(await tag('create table tags (n int)')).toEqual(['CREATE', null]);
      expect(await tag('insert into tags values (1), (2), (3)')).toEqual(['INSERT', 3]);
      expect(await tag('update tags set n = n + 1 where n < 3')).toEqual(['UPDATE', 2]);
      expect(await tag('delete from tags where n = 4')).toEqual(['DELETE', 0]);
      expect(await tag('select * from tags')).toEqual(['SELECT', 3]);
      expect(await tag('drop table tags')).toEqual(['DROP', null]);
      expect(await tag('')).toEqual(['', null]);
    });

    it('parameters: JSON values become Postgres text', async () => {
      const res = await sql({
        query:
          'select $1::int + 1 as a, $2::bool as b, $3::jsonb as c, $4::int[] as d, $5::text as e, $6::text[] as f',
        params: [41, true, { x: [1, 'y'] }, [1, 2, null], null, ['a b', 'c"d']],
      });
      expect(res.json.rows).toEqual([['42', 't', '{"x": [1, "y"]}', '{1,2,NULL}', null, '{"a b","c\\"d"}']]);
    });

    it('object mode, typed JSON without Neon-Raw-Text-Output, per-query arrayMode', async () => {
      const query =
        "select 1 as i, 9007199254740993::int8 as big, true as b, 2.5::float8 as f, 'NaN'::float8 as nan, " +
        '\'{"k": [1]}\'::jsonb as j, array[1, null]::int[] as arr, array[true, false] as bools, now() is not null as ok, null::int as n';
      const typed = await sql(
        { query },
        { 'Neon-Connection-String': connectionString(db), 'Content-Type': 'application/json' },
      );
      expect(typed.json.rowAsArray).toBe(false);
      expect(typed.json.rows).toEqual([
        {
          i: 1,
          big: '9007199254740993',
          b: true,
          f: 2.5,
          nan: 'NaN',
          j: { k: [1] },
          arr: [1, null],
          bools: [true, false],
          ok: true,
          n: null,
        },
      ]);

      const raw = await sql({ query: 'select 1 as i', arrayMode: false }, driverHeaders(db));
      expect(raw.json).toMatchObject({ rowAsArray: false, rows: [{ i: '1' }] });
    });

    it('a batch: {results: […]} and the transaction settings echoed back', async () => {
      const res = await fetch(endpoint.current.url, {
        method: 'POST',
        headers: {
          ...driverHeaders(db),
          'Neon-Batch-Isolation-Level': 'Serializable',
          'Neon-Batch-Read-Only': 'true',
          'Neon-Batch-Deferrable': 'false',
        },
        body: JSON.stringify({
          queries: [
            { query: 'select $1::text as a', params: ['x'] },
            { query: "select current_setting('transaction_isolation') as iso", params: [] },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('neon-batch-isolation-level')).toBe('Serializable');
      expect(res.headers.get('neon-batch-read-only')).toBe('true');
      expect(res.headers.get('neon-batch-deferrable')).toBeNull();
      const body = (await res.json()) as { results: { rows: unknown[][]; command: string }[] };
      expect(body.results.map((r) => r.rows)).toEqual([[['x']], [['serializable']]]);
      expect(await sql({ queries: [] })).toMatchObject({ status: 200, json: { results: [] } });
    });

    it('Postgres errors: HTTP 400 with every field Neon sends', async () => {
      const dup = await sql({ query: 'insert into t values (1, $1)', params: ['again'] });
      expect(dup.status).toBe(400);
      expect(Object.keys(dup.json).sort()).toEqual([...ERROR_KEYS].sort());
      expect(dup.json).toMatchObject({
        message: 'duplicate key value violates unique constraint "t_pkey"',
        code: '23505',
        severity: 'ERROR',
        detail: 'Key (id)=(1) already exists.',
        schema: 'public',
        table: 't',
        constraint: 't_pkey',
        hint: null,
        position: null,
      });
      expect(dup.json.file).toEqual(expect.any(String));
      expect(dup.json.line).toEqual(expect.any(String));
      expect(dup.json.routine).toEqual(expect.any(String));

      const syntax = await sql({ query: 'selec 1' });
      expect(syntax.json).toMatchObject({ code: '42601', position: '1' });
      const missing = await sql({ query: 'select nope from t' });
      expect(missing.json).toMatchObject({ code: '42703', position: '8' });
      const inBatch = await sql({ queries: [{ query: 'select 1' }, { query: 'select 1/0' }] });
      expect(inBatch).toMatchObject({ status: 400, json: { code: '22012', message: 'division by zero' } });
    });
  });

  describe('malformed requests get 4xx JSON and the server keeps running', () => {
    const cases: [
      string,
      () => Promise<{ status: number; json: Record<string, unknown> }>,
      number,
      RegExp,
    ][] = [
      ['body not JSON', () => sql('{"query": '), 400, /^could not parse the HTTP request body/],
      ['body a JSON array', () => sql([1, 2]), 400, /could not parse/],
      ['no query', () => sql({ params: [] }), 400, /could not parse/],
      ['query not a string', () => sql({ query: 42 }), 400, /"query" must be a string/],
      [
        'params not an array',
        () => sql({ query: 'select 1', params: 'x' }),
        400,
        /"params" must be an array/,
      ],
      ['arrayMode not a boolean', () => sql({ query: 'select 1', arrayMode: 'yes' }), 400, /arrayMode/],
      [
        'a batch entry without query',
        () => sql({ queries: [{ query: 'select 1' }, {}] }),
        400,
        /queries\[1\]/,
      ],
      ['queries not an array', () => sql({ queries: 'select 1' }), 400, /could not parse/],
      [
        'no Neon-Connection-String',
        () => sql({ query: 'select 1' }, { 'Neon-Raw-Text-Output': 'true' }),
        400,
        /^invalid header: neon-connection-string$/,
      ],
      [
        'not a postgres URL',
        () => sql({ query: 'select 1' }, { 'Neon-Connection-String': 'mysql://u:p@h/db' }),
        400,
        /incorrect scheme/,
      ],
      [
        'no database in the URL',
        () => sql({ query: 'select 1' }, { 'Neon-Connection-String': 'postgresql://u:p@localhost' }),
        400,
        /missing database name/,
      ],
      [
        'an unknown isolation level',
        () => sql({ queries: [] }, { ...driverHeaders(db), 'Neon-Batch-Isolation-Level': 'Chaos' }),
        400,
        /invalid isolation level/,
      ],
      [
        'GET /sql',
        async () => {
          const r = await fetch(endpoint.current.url);
          return { status: r.status, json: await r.json() };
        },
        405,
        /not allowed/,
      ],
      [
        'an unknown path',
        async () => {
          const r = await fetch(new URL('/v2/query', endpoint.current.url), { method: 'POST', body: '{}' });
          return { status: r.status, json: await r.json() };
        },
        404,
        /not found/,
      ],
    ];
    it.each(cases)('%s', async (_name, send, status, message) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.json.message).toMatch(message);
      expect((await sql({ query: 'select 1 as ok' })).json.rows).toEqual([['1']]);
    });

    it('413 for a body over the limit', async () => {
      const res = await sql({ query: 'select $1::text', params: ['x'.repeat(11 * 1024 * 1024)] });
      expect(res.status).toBe(413);
      expect(res.json.message).toMatch(/request is too large \(max is 10485760 bytes\)/);
      expect((await sql({ query: 'select 1 as ok' })).status).toBe(200);
    });

    it('garbage that is not HTTP', async () => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(endpoint.current.port, '127.0.0.1', () => socket.write('HELLO\r\n\r\n'));
        let data = '';
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400/);
      expect((await sql({ query: 'select 1 as ok' })).status).toBe(200);
    });

    it('CORS preflight', async () => {
      const res = await fetch(endpoint.current.url, { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Neon-Connection-String/);
    });
  });

  describe('control API', () => {
    const control = (path: string, init?: RequestInit) =>
      fetch(new URL(path, endpoint.current.url), init).then(async (r) => ({
        status: r.status,
        json: await r.json(),
      }));

    it('health, stats, reset and outage; bad input is a 4xx', async () => {
      expect(await control('/_neon/health')).toMatchObject({
        status: 200,
        json: { ok: true, isolate: true },
      });
      expect((await control('/_neon/stats')).json).toEqual(endpoint.current.stats());
      expect(await control('/_neon/outage', { method: 'POST', body: '{"on": "yes"}' })).toMatchObject({
        status: 400,
      });
      expect(await control('/_neon/outage', { method: 'POST', body: 'nope' })).toMatchObject({ status: 400 });
      expect(await control('/_neon/outage')).toMatchObject({ status: 405 });
      expect(await control('/_neon/nothing')).toMatchObject({ status: 404 });
      expect(
        await control('/_neon/outage', { method: 'POST', body: JSON.stringify({ on: true, database: 'x' }) }),
      ).toMatchObject({ status: 200, json: { all: false, databases: ['x'] } });
      expect(
        await control('/_neon/outage', {
          method: 'POST',
          body: JSON.stringify({ on: false, database: 'x' }),
        }),
      ).toMatchObject({ status: 200, json: { databases: [] } });
    });
  });
});
