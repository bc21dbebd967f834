/**
 * Real Postgres backend (`pg`).
 *
 * Statements use the extended protocol with raw text results, as Neon's proxy does
 * (tokio-postgres `query_raw_txt`): parameters go as untyped text, values come back exactly as
 * Postgres prints them, and a string with two statements is rejected (42601) like on Neon.
 * A request is one round trip to Postgres: a batch's BEGIN, statements and COMMIT are pipelined
 * (see Pipeline); only a failed batch costs a second one, its ROLLBACK.
 *
 * isolate mode: a template `paywire_tpl_<run>` is created and initialised once; each database name
 * gets `CREATE DATABASE paywire_t_<run>_<n>_<name> TEMPLATE …` on first use. close() drops them all.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Mutex } from '../mutex.ts';
import { beginStatement, parseCommandTag, pgErrorFields } from '../protocol.ts';
import {
  type Backend,
  type DatabaseHandle,
  type FieldInfo,
  PostgresError,
  type SqlExecutor,
  type Statement,
  type TextResult,
} from '../types.ts';

export interface PostgresBackendOptions {
  url: string;
  isolate: boolean;
  initDatabase?: (db: SqlExecutor) => Promise<void>;
  log: (line: string) => void;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

function urlForDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** `pg` errors that Postgres sent become PostgresError (→ HTTP 400); anything else is rethrown. */
function asPostgresError(err: unknown): unknown {
  const fields = pgErrorFields(err);
  return fields ? new PostgresError(fields) : err;
}

/** The parts of pg's Connection a Submittable writes to (pg ≥ 8; missing from @types/pg). */
interface PgConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { text: string }): void;
  bind(msg: { values: (string | null)[] }): void;
  describe(msg: { type: 'P' }): void;
  execute(msg: object): void;
  sync(): void;
}

interface RowDescription {
  fields: FieldInfo[];
}

/**
 * A whole request in ONE round trip: `pg` runs a Submittable (the extension point pg-cursor uses)
 * by handing it the connection, so every statement's Parse/Bind/Describe/Execute — between
 * BEGIN and COMMIT for a batch — goes out in one write, closed by a single Sync, and the answers
 * are collected as they stream back. Postgres stops at the first error and skips to the Sync, so
 * nothing after a failed statement runs (the caller then rolls the transaction back).
 * Values stay Postgres's text (no type parsers), as Neon's proxy sends them.
 */
class Pipeline {
  readonly results: TextResult[] = [];
  /** the statement being answered; -1 while BEGIN's answer is awaited */
  private index: number;
  private fields: FieldInfo[] = [];
  private rows: (string | null)[][] = [];
  private settled = false;

  constructor(
    private readonly statements: readonly Statement[],
    private readonly begin: string | undefined,
    private readonly done: (err: unknown, results?: TextResult[]) => void,
  ) {
    this.index = begin === undefined ? 0 : -1;
  }

  submit(connection: PgConnection): null {
    const { stream } = connection;
    stream.cork?.();
    try {
      if (this.begin !== undefined) {
        connection.parse({ text: this.begin });
        connection.bind({ values: [] });
        connection.execute({});
      }
      for (const stmt of this.statements) {
        connection.parse({ text: stmt.query });
        connection.bind({ values: stmt.params });
        connection.describe({ type: 'P' });
        connection.execute({});
      }
      if (this.begin !== undefined) {
        connection.parse({ text: 'COMMIT' });
        connection.bind({ values: [] });
        connection.execute({});
      }
      connection.sync();
    } finally {
      stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(msg: RowDescription) {
    this.fields = msg.fields;
  }

  handleDataRow(msg: { fields: (string | null)[] }) {
    this.rows.push(msg.fields);
  }

  handleCommandComplete(msg: { text: string }) {
    this.complete(parseCommandTag(msg.text));
  }

  /** an empty query string answers EmptyQueryResponse instead of CommandComplete */
  handleEmptyQuery() {
    this.complete({ command: '', rowCount: null });
  }

  private complete(tag: { command: string; rowCount: number | null }) {
    const i = this.index++;
    if (i < 0 || i >= this.statements.length) return; // BEGIN / COMMIT
    this.results.push({ fields: this.fields, rows: this.rows, command: tag.command, rowCount: tag.rowCount });
    this.fields = [];
    this.rows = [];
  }

  handleError(err: unknown) {
    if (this.settled) return;
    this.settled = true;
    const pgErr = asPostgresError(err);
    if (pgErr instanceof PostgresError && this.index >= 0 && this.index < this.statements.length) {
      pgErr.statementIndex = this.index;
    }
    this.done(pgErr);
  }

  handleReadyForQuery() {
    if (this.settled) return;
    this.settled = true;
    this.done(null, this.results);
  }

  handlePortalSuspended() {}

  /**
   * COPY … FROM STDIN would wait for data that HTTP cannot send, and the messages pipelined
   * behind it break the copy: fail the request; the caller drops the connection.
   */
  handleCopyInResponse() {
    this.handleError(new Error('COPY FROM STDIN is not supported over HTTP'));
  }

  handleCopyData() {}
}

function runPipeline(
  client: pg.PoolClient,
  statements: readonly Statement[],
  begin?: string,
): Promise<TextResult[]> {
  return new Promise((resolve, reject) => {
    const pipeline = new Pipeline(statements, begin, (err, results) =>
      err ? reject(err) : resolve(results!),
    );
    client.query(pipeline as unknown as pg.QueryConfig);
  });
}

/**
 * dev mode serves one database to everything (the benchmarks drive 8 requests at once); in
 * isolate mode each test database has its own pool, and many of them share the server's
 * max_connections
 */
const DEV_POOL_SIZE = 10;
const ISOLATED_POOL_SIZE = 5;

function newPool(url: string, log: (line: string) => void, max = ISOLATED_POOL_SIZE): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 5_000,
    allowExitOnIdle: true,
  });
  // an idle client whose server connection dies (e.g. DROP DATABASE … WITH (FORCE)) emits
  // 'error' on the pool; without a listener that would crash the process
  pool.on('error', (err) => log(`postgres: idle connection error: ${err.message}`));
  return pool;
}

/**
 * pool.end() resolves before its connections have said goodbye; wait for them (bounded), so that
 * a following DROP DATABASE / CREATE DATABASE … TEMPLATE does not race their server processes.
 */
async function endPool(pool: pg.Pool): Promise<void> {
  const open = pool.totalCount;
  const gone = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    // ref'd on purpose: with allowExitOnIdle the sockets are unref'd, and nothing else might keep
    // the process alive until they have closed
    const timer = setTimeout(resolve, 2_000);
    let removed = 0;
    pool.on('remove', () => {
      if (++removed < open) return;
      clearTimeout(timer);
      resolve();
    });
  });
  await pool.end();
  await gone;
}

function poolExecutor(pool: pg.Pool): SqlExecutor {
  return {
    query: async (text, params) => ({ rows: (await pool.query(text, params ?? [])).rows }),
    // no parameters → simple protocol: a multi-statement script, one implicit transaction
    exec: async (sqlText) => {
      await pool.query(sqlText);
    },
  };
}

function handleFor(pool: pg.Pool): DatabaseHandle {
  return {
    async run(statements, tx) {
      if (!tx && statements.length === 0) return [];
      const client = await pool.connect();
      // a connection left inside a transaction (or broken) is destroyed rather than reused,
      // as Neon's pool discards it
      let discard = false;
      // pg-pool listens for errors only on idle clients; a FATAL that arrives while no query is
      // active (e.g. between a pipeline's early error and its ReadyForQuery) must not crash us
      const onError = () => {
        discard = true;
      };
      client.on('error', onError);
      try {
        if (!tx) {
          // one statement, autocommitted
          return await runPipeline(client, statements.slice(0, 1));
        }
        try {
          return await runPipeline(client, statements, beginStatement(tx));
        } catch (err) {
          // Postgres refused a statement: the transaction is aborted (or, when COMMIT itself
          // failed, already over). Anything else leaves the connection in an unknown state, and
          // dropping it rolls back as well.
          if (err instanceof PostgresError) {
            await client.query('ROLLBACK').catch(() => {
              discard = true;
            });
          }
          throw err;
        }
      } catch (err) {
        if (!(err instanceof PostgresError)) discard = true;
        throw err;
      } finally {
        if (client.getTransactionStatus() !== 'I') discard = true;
        client.off('error', onError);
        client.release(discard);
      }
    },
    executor: poolExecutor(pool),
  };
}

/** A database name made of [a-z0-9_] that still hints at the name it stands for. */
function sanitize(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'db'
  );
}

/** dev mode: every request goes to the database of `opts.url`, initialised once at start. */
async function createDevBackend(opts: PostgresBackendOptions, admin: pg.Pool): Promise<Backend> {
  const pool = newPool(opts.url, opts.log, DEV_POOL_SIZE);
  try {
    if (opts.initDatabase) await opts.initDatabase(poolExecutor(pool));
  } catch (err) {
    await Promise.allSettled([endPool(pool), endPool(admin)]);
    throw err;
  }
  const single = handleFor(pool);
  const u = new URL(opts.url);
  let closed = false;
  return {
    description: `postgres ${u.host}${u.pathname}`,
    async open() {
      if (closed) throw new Error('local Neon endpoint is closed');
      return single;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([endPool(pool), endPool(admin)]);
    },
  };
}

/** isolate mode: a template database, and one copy of it per database name, all dropped at close. */
interface IsolatedDatabases {
  readonly opts: PostgresBackendOptions;
  readonly admin: pg.Pool;
  /** tags this endpoint's databases apart from other runs' on the same server */
  readonly run: string;
  readonly template: string;
  readonly created: string[];
  readonly pools: pg.Pool[];
  readonly databases: Map<string, Promise<DatabaseHandle>>;
  // CREATE DATABASE … TEMPLATE fails while another session uses the template; one at a time
  // keeps it simple (each takes well under a second)
  readonly createLock: Mutex;
  counter: number;
  closed: boolean;
}

async function dropCreated(state: IsolatedDatabases): Promise<void> {
  const { created } = state;
  const { log } = state.opts;
  const t = performance.now();
  const count = created.length;
  for (const db of created.reverse()) {
    try {
      await state.admin.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
    } catch (err) {
      log(`postgres: could not drop ${db}: ${(err as Error).message}`);
    }
  }
  created.length = 0;
  if (count) log(`postgres: dropped ${count} database(s) in ${Math.round(performance.now() - t)} ms`);
}

/** Creates and initialises the template; on failure drops it and ends the admin pool. */
async function prepareTemplate(state: IsolatedDatabases): Promise<void> {
  const { opts, admin, template } = state;
  const t0 = performance.now();
  try {
    await admin.query(`CREATE DATABASE ${ident(template)}`);
    state.created.push(template);
    const t1 = performance.now();
    const tplPool = newPool(urlForDatabase(opts.url, template), opts.log);
    try {
      if (opts.initDatabase) await opts.initDatabase(poolExecutor(tplPool));
    } finally {
      // nobody may stay connected to a template that databases are copied from
      await endPool(tplPool);
    }
    opts.log(
      `postgres: template ${template} ready in ${Math.round(performance.now() - t0)} ms (create ${Math.round(t1 - t0)}, init ${Math.round(performance.now() - t1)})`,
    );
  } catch (err) {
    await dropCreated(state);
    await endPool(admin);
    throw err;
  }
}

async function createDatabase(state: IsolatedDatabases, name: string): Promise<DatabaseHandle> {
  return state.createLock.run(async () => {
    if (state.closed) throw new Error('local Neon endpoint is closed');
    const db = `paywire_t_${state.run}_${++state.counter}_${sanitize(name)}`.slice(0, 63);
    const t = performance.now();
    await state.admin.query(`CREATE DATABASE ${ident(db)} TEMPLATE ${ident(state.template)}`);
    state.created.push(db);
    state.opts.log(`postgres: created ${db} for "${name}" in ${Math.round(performance.now() - t)} ms`);
    const pool = newPool(urlForDatabase(state.opts.url, db), state.opts.log);
    state.pools.push(pool);
    return handleFor(pool);
  });
}

function openIsolated(state: IsolatedDatabases, name: string): Promise<DatabaseHandle> {
  if (state.closed) return Promise.reject(new Error('local Neon endpoint is closed'));
  let handle = state.databases.get(name);
  if (!handle) {
    // stored before it settles: concurrent first requests share one CREATE DATABASE
    handle = createDatabase(state, name);
    state.databases.set(name, handle);
    // a failed creation is not cached, the next request retries
    handle.catch(() => state.databases.delete(name));
  }
  return handle;
}

async function closeIsolated(state: IsolatedDatabases): Promise<void> {
  if (state.closed) return;
  state.closed = true;
  await state.createLock.run(async () => {
    await Promise.allSettled(state.pools.map(endPool));
    await dropCreated(state);
    await endPool(state.admin);
  });
}

async function createIsolatedBackend(opts: PostgresBackendOptions, admin: pg.Pool): Promise<Backend> {
  const run = randomBytes(4).toString('hex');
  const state: IsolatedDatabases = {
    opts,
    admin,
    run,
    template: `paywire_tpl_${run}`,
    created: [],
    pools: [],
    databases: new Map(),
    createLock: new Mutex(),
    counter: 0,
    closed: false,
  };
  await prepareTemplate(state);
  return {
    description: `postgres ${new URL(opts.url).host} (isolated databases paywire_t_${run}_*)`,
    open: (name) => openIsolated(state, name),
    close: () => closeIsolated(state),
  };
}

export async function createPostgresBackend(opts: PostgresBackendOptions): Promise<Backend> {
  const admin = newPool(opts.url, opts.log);
  return opts.isolate ? createIsolatedBackend(opts, admin) : createDevBackend(opts, admin);
}
