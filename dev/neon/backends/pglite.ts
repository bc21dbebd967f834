/**
 * Embedded PGlite backend.
 *
 * PGlite is one Postgres session in this process, so every database has a FIFO lock and a
 * request holds it from its first to its last protocol message (a batch: BEGIN … COMMIT).
 *
 * Statements are sent as raw extended-protocol messages (Parse/Bind/Describe/Execute/Sync) instead
 * of through `db.query()`: that yields exactly what Neon's proxy sees from Postgres — parameters
 * passed as untyped text, RowDescription with every column attribute, values in text format and
 * the command tag — with no client-side type conversion in between.
 *
 * isolate mode: PGlite.create() takes several seconds, so a template is created and initialised
 * once, dumped to a tarball, and each database name gets an instance loaded from it (~1–2 s).
 * Instances weigh ~200 MB, so at most `maxLive` stay loaded; the least recently used one is
 * dumped and closed, and comes back from its own snapshot on its next request.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, protocol } from '@electric-sql/pglite';
import { Mutex } from '../mutex.ts';
import { beginStatement, parseCommandTag, pgErrorFields } from '../protocol.ts';
import {
  type Backend,
  type DatabaseHandle,
  PostgresError,
  type SqlExecutor,
  type Statement,
  type TextResult,
  type TxOptions,
  tagStatement,
} from '../types.ts';

export interface PgliteBackendOptions {
  isolate: boolean;
  dataDir?: string;
  maxLive?: number;
  initDatabase?: (db: SqlExecutor) => Promise<void>;
  log: (line: string) => void;
}

const { serialize } = protocol;
type Msg = typeof protocol.messages;
type RowDescription = InstanceType<Msg['RowDescriptionMessage']>;
type DataRow = InstanceType<Msg['DataRowMessage']>;
type CommandComplete = InstanceType<Msg['CommandCompleteMessage']>;
type ReadyForQuery = InstanceType<Msg['ReadyForQueryMessage']>;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

interface Executed {
  result: TextResult;
  /** ReadyForQuery status after the statement: I idle, T in transaction, E failed transaction */
  status: string;
}

/** Runs one statement through the extended protocol and collects its text-format result. */
async function execText(db: PGlite, stmt: Statement): Promise<Executed> {
  const message = concat([
    serialize.parse({ text: stmt.query }),
    serialize.bind({ values: stmt.params }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
  const { messages } = await db.execProtocol(message, { throwOnError: false });
  const result: TextResult = { fields: [], rows: [], command: '', rowCount: null };
  let status = 'I';
  let error: unknown;
  for (const m of messages) {
    switch (m.name) {
      case 'rowDescription':
        result.fields = (m as RowDescription).fields.map((f) => ({
          name: f.name,
          tableID: f.tableID,
          columnID: f.columnID,
          dataTypeID: f.dataTypeID,
          dataTypeSize: f.dataTypeSize,
          dataTypeModifier: f.dataTypeModifier,
        }));
        break;
      case 'dataRow':
        result.rows.push((m as DataRow).fields);
        break;
      case 'commandComplete':
        Object.assign(result, parseCommandTag((m as CommandComplete).text));
        break;
      case 'readyForQuery':
        status = (m as ReadyForQuery).status;
        break;
      case 'error':
        error ??= m;
        break;
    }
  }
  if (error) {
    throw new PostgresError(pgErrorFields(error) ?? { message: String((error as Error).message) });
  }
  return { result, status };
}

async function runOnSession(db: PGlite, statements: Statement[], tx?: TxOptions): Promise<TextResult[]> {
  if (!tx) {
    const only = statements[0];
    if (!only) return [];
    try {
      return [(await execText(db, only)).result];
    } finally {
      // A request is a session of its own on Neon: never let `BEGIN` (or a failed one) leak into
      // the next request. Neon discards such a connection; here the shared session rolls back.
      if (db.isInTransaction()) await rollback(db);
    }
  }
  await execText(db, { query: beginStatement(tx), params: [] });
  try {
    const results: TextResult[] = [];
    for (const [i, stmt] of statements.entries()) {
      results.push((await tagStatement(i, execText(db, stmt))).result);
    }
    await execText(db, { query: 'COMMIT', params: [] });
    return results;
  } catch (err) {
    if (db.isInTransaction()) await rollback(db);
    throw err;
  }
}

/** Best effort: the statement's own error is what the client must see. */
async function rollback(db: PGlite): Promise<void> {
  await execText(db, { query: 'ROLLBACK', params: [] }).catch(() => undefined);
}

interface Entry {
  name: string;
  lock: Mutex;
  db: PGlite | null;
  /** snapshot of an evicted instance (null: never loaded, or live) */
  parked: Blob | null;
  lastUsed: number;
}

/** The backend's databases: one dev entry, or (isolate) one entry per database name. */
interface PgliteState {
  readonly opts: PgliteBackendOptions;
  readonly maxLive: number;
  readonly entries: Map<string, Entry>;
  /** serialises loading/evicting instances so the live count stays within maxLive */
  readonly loadLock: Mutex;
  clock: number;
  closed: boolean;
  template: Blob | null;
  single: Entry | null;
}

function newEntry(state: PgliteState, name: string, db: PGlite | null = null): Entry {
  return { name, lock: new Mutex(), db, parked: null, lastUsed: ++state.clock };
}

async function park(state: PgliteState, entry: Entry): Promise<void> {
  const db = entry.db;
  if (!db) return;
  const t0 = performance.now();
  entry.parked = await db.dumpDataDir('gzip');
  entry.db = null;
  await db.close();
  state.opts.log(`pglite: unloaded "${entry.name}" (${Math.round(performance.now() - t0)} ms)`);
}

/** The entry's instance, loaded from its snapshot or the template, after evicting the least recently used. */
async function ensureLive(state: PgliteState, entry: Entry): Promise<PGlite> {
  entry.lastUsed = ++state.clock;
  if (entry.db) return entry.db;
  return state.loadLock.run(async () => {
    if (state.closed) throw new Error('local Neon endpoint is closed');
    for (;;) {
      const live = [...state.entries.values()].filter((e) => e.db && e !== entry);
      if (live.length < state.maxLive) break;
      const victim = live.reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b));
      // waits for the victim's in-flight request; a live entry never waits for loadLock
      await victim.lock.run(() => park(state, victim));
    }
    const source = entry.parked ?? state.template;
    if (!source) throw new Error('pglite: no template');
    const t0 = performance.now();
    const db = await PGlite.create({ loadDataDir: source });
    state.opts.log(
      `pglite: ${entry.parked ? 'reloaded' : 'created'} database "${entry.name}" in ${Math.round(performance.now() - t0)} ms`,
    );
    entry.db = db;
    entry.parked = null;
    return db;
  });
}

function withSession<T>(state: PgliteState, entry: Entry, fn: (db: PGlite) => Promise<T>): Promise<T> {
  return entry.lock.run(async () => fn(await ensureLive(state, entry)));
}

function executorOn(run: <T>(fn: (db: PGlite) => Promise<T>) => Promise<T>): SqlExecutor {
  return {
    query: (text, params) =>
      run(async (db) => ({ rows: (await db.query<Record<string, unknown>>(text, params ?? [])).rows })),
    exec: (sqlText) =>
      run(async (db) => {
        await db.exec(sqlText);
      }),
  };
}

function databaseHandle(state: PgliteState, entry: Entry): DatabaseHandle {
  return {
    run: (statements, tx) => withSession(state, entry, (db) => runOnSession(db, statements, tx)),
    executor: executorOn((fn) => withSession(state, entry, fn)),
  };
}

async function initOn(opts: PgliteBackendOptions, db: PGlite): Promise<void> {
  if (!opts.initDatabase) return;
  const lock = new Mutex();
  await opts.initDatabase(executorOn((fn) => lock.run(() => fn(db))));
}

/** isolate mode: create and initialise one instance, keep its dump as every database's starting point. */
async function createTemplate(opts: PgliteBackendOptions): Promise<Blob> {
  const t0 = performance.now();
  const tpl = await PGlite.create();
  try {
    const t1 = performance.now();
    await initOn(opts, tpl);
    const t2 = performance.now();
    const template = await tpl.dumpDataDir('gzip');
    opts.log(
      `pglite: template ready in ${Math.round(performance.now() - t0)} ms ` +
        `(create ${Math.round(t1 - t0)}, init ${Math.round(t2 - t1)}, dump ${Math.round(performance.now() - t2)}; ${(template.size / 1e6).toFixed(1)} MB)`,
    );
    return template;
  } finally {
    await tpl.close();
  }
}

/** dev mode: the one database, in `dataDir` (created if missing) or in memory, initialised. */
async function openDevDatabase(opts: PgliteBackendOptions): Promise<PGlite> {
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const db = dataDir ? await PGlite.create({ dataDir }) : await PGlite.create();
  try {
    await initOn(opts, db);
  } catch (err) {
    await db.close();
    throw err;
  }
  opts.log(`pglite: ${dataDir ?? 'in-memory database'} ready in ${Math.round(performance.now() - t0)} ms`);
  return db;
}

async function openDatabase(state: PgliteState, name: string): Promise<DatabaseHandle> {
  if (state.closed) throw new Error('local Neon endpoint is closed');
  if (state.single) return databaseHandle(state, state.single);
  let entry = state.entries.get(name);
  if (!entry) {
    // registered synchronously: concurrent first requests share the entry and its lock,
    // and the first one to get the lock loads the instance
    entry = newEntry(state, name);
    state.entries.set(name, entry);
  }
  return databaseHandle(state, entry);
}

async function closeDatabases(state: PgliteState): Promise<void> {
  if (state.closed) return;
  state.closed = true;
  const all = state.single ? [state.single] : [...state.entries.values()];
  // Not under loadLock: a request waiting for loadLock holds its entry's lock. Requests still
  // queued see `closed` in ensureLive and fail; in-flight ones finish first.
  await Promise.all(
    all.map((e) =>
      e.lock.run(async () => {
        const db = e.db;
        e.db = null;
        e.parked = null;
        if (db && !db.closed) await db.close();
      }),
    ),
  );
  state.template = null;
}

export async function createPgliteBackend(opts: PgliteBackendOptions): Promise<Backend> {
  const state: PgliteState = {
    opts,
    maxLive: Math.max(1, opts.maxLive ?? 6),
    entries: new Map(),
    loadLock: new Mutex(),
    clock: 0,
    closed: false,
    template: null,
    single: null,
  };
  if (opts.isolate) state.template = await createTemplate(opts);
  else state.single = newEntry(state, '(dev)', await openDevDatabase(opts));
  return {
    description: opts.isolate
      ? 'pglite (isolated in-memory databases)'
      : `pglite (${opts.dataDir ? resolve(opts.dataDir) : 'in-memory'})`,
    open: (name) => openDatabase(state, name),
    close: () => closeDatabases(state),
  };
}
