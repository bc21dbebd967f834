/** Unit tests of the pure protocol helpers (no database). */
import { describe, expect, it } from 'vitest';
import { jsonParamToPgText, pgTextToJson } from '../../../dev/neon/pgtext.ts';
import {
  beginStatement,
  errorJson,
  ProtocolError,
  parseCommandTag,
  parseConnectionString,
  parseOptions,
  parsePayload,
} from '../../../dev/neon/protocol.ts';

describe('parameters (JSON → Postgres text), as Neon converts them', () => {
  it.each([
    [null, null],
    ['text "as is" \\', 'text "as is" \\'],
    [true, 'true'],
    [42, '42'],
    [1.5, '1.5'],
    [{ a: [1, 'b'] }, '{"a":[1,"b"]}'],
    [[true, false, null, 'NULL', 42, 'foo', 'bar"-\\'], '{true,false,NULL,"NULL",42,"foo","bar\\"-\\\\"}'],
    [
      [
        [1, 2],
        [null, 3],
      ],
      '{{1,2},{NULL,3}}',
    ],
    [[{ foo: 1 }, { bar: 2 }], '{"{\\"foo\\":1}","{\\"bar\\":2}"}'],
  ])('%j → %j', (input, expected) => {
    expect(jsonParamToPgText(input)).toBe(expected);
  });
});

describe('values (Postgres text → JSON) when raw text output is off', () => {
  it.each([
    ['t', 16, true],
    ['f', 16, false],
    ['42', 23, 42],
    ['-7', 21, -7],
    ['42', 20, '42'],
    ['4.25', 701, 4.25],
    ['NaN', 700, 'NaN'],
    ['-Infinity', 701, '-Infinity'],
    ['{"s": "str", "n": 42, "a": [null, 3, "a"]}', 3802, { s: 'str', n: 42, a: [null, 3, 'a'] }],
    ['[1, 2]', 114, [1, 2]],
    ['12.50', 1700, '12.50'],
    ['{1,2,NULL}', 1007, [1, 2, null]],
    [
      '{{1,2},{3,4}}',
      1007,
      [
        [1, 2],
        [3, 4],
      ],
    ],
    ['[0:1]={1,2}', 1007, [1, 2]],
    ['{}', 1009, []],
    ['{a,"b c",NULL,"NULL","\\"q\\"","x\\\\y",""}', 1009, ['a', 'b c', null, 'NULL', '"q"', 'x\\y', '']],
    ['{t,f}', 1000, [true, false]],
    ['{"{\\"a\\": 1}",NULL}', 3807, [{ a: 1 }, null]],
    ['{(1,1),(0,0);(2,2),(1,1)}', 1020, ['(1,1),(0,0)', '(2,2),(1,1)']],
  ])('%s (oid %i)', (text, oid, expected) => {
    expect(pgTextToJson(text, oid)).toEqual(expected);
  });

  it('rejects unbalanced arrays', () => {
    expect(() => pgTextToJson('{1,2', 1007)).toThrow(/unbalanced/);
    expect(() => pgTextToJson('{"a}', 1009)).toThrow(/unbalanced/);
  });
});

describe('request parsing', () => {
  it('payloads', () => {
    expect(parsePayload('{"query":"select $1","params":[1,null]}')).toEqual({
      kind: 'single',
      query: { query: 'select $1', params: ['1', null], arrayMode: undefined },
    });
    expect(parsePayload('{"query":"select 1"}')).toMatchObject({ kind: 'single', query: { params: [] } });
    expect(
      parsePayload('{"queries":[{"query":"a","arrayMode":false},{"query":"b","params":["x"]}]}'),
    ).toEqual({
      kind: 'batch',
      queries: [
        { query: 'a', params: [], arrayMode: false },
        { query: 'b', params: ['x'], arrayMode: undefined },
      ],
    });
    for (const bad of [
      '',
      'null',
      '"x"',
      '{}',
      '{"query":null}',
      '{"queries":[1]}',
      '{"query":"a","params":null}',
    ]) {
      expect(() => parsePayload(bad), bad).toThrow(ProtocolError);
    }
  });

  it('connection strings and options', () => {
    const h = (cs: string) => ({ 'neon-connection-string': cs });
    expect(parseConnectionString(h('postgresql://u:p@ep-x.neon.tech/my%20db?sslmode=require'))).toEqual({
      database: 'my db',
      user: 'u',
      host: 'ep-x.neon.tech',
    });
    expect(() => parseConnectionString(h('postgresql://localhost/db'))).toThrow(/missing username/);
    expect(() => parseConnectionString(h('not a url'))).toThrow(/invalid connection string/);
    expect(parseOptions({ 'neon-raw-text-output': 'TRUE', 'neon-batch-read-only': 'true' })).toEqual({
      rawTextOutput: false,
      arrayMode: false,
      tx: { isolationLevel: undefined, readOnly: true, deferrable: false },
    });
  });

  it('BEGIN statements and command tags', () => {
    expect(beginStatement({ readOnly: false, deferrable: false })).toBe('START TRANSACTION');
    expect(beginStatement({ isolationLevel: 'Serializable', readOnly: true, deferrable: true })).toBe(
      'START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE',
    );
    expect(parseCommandTag('INSERT 0 3')).toEqual({ command: 'INSERT', rowCount: 3 });
    expect(parseCommandTag('SELECT 10')).toEqual({ command: 'SELECT', rowCount: 10 });
    expect(parseCommandTag('CREATE TABLE')).toEqual({ command: 'CREATE', rowCount: null });
    expect(parseCommandTag('BEGIN')).toEqual({ command: 'BEGIN', rowCount: null });
    expect(parseCommandTag('')).toEqual({ command: '', rowCount: null });
  });

  it('error bodies always carry every key', () => {
    expect(errorJson({ message: 'bad' })).toEqual({
      message: 'bad',
      code: '',
      detail: null,
      hint: null,
      position: null,
      internalPosition: null,
      internalQuery: null,
      severity: '',
      where: null,
      table: null,
      column: null,
      schema: null,
      dataType: null,
      constraint: null,
      file: null,
      line: null,
      routine: null,
    });
  });
});
