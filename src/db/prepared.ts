import { is, Param, Placeholder, SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';

/**
 * Statements built once per shape and only bound per call.
 *
 * Building a drizzle query walks its whole SQL tree (`is()` checks, column escaping, encoders)
 * on every call: on the webhook path that was about half of the Worker's CPU per event. A
 * prepared statement is a drizzle query built ONCE with `sql.placeholder(name)` in place of
 * each value; drizzle's own `toSQL()` gives the SQL text and its parameters, in which every
 * placeholder keeps the column encoder drizzle would have applied (jsonb → JSON text, timestamp →
 * ISO string). Binding is then one pass over that parameter list.
 *
 * A bound statement is a drizzle batch item: it goes into `db.batch([...])` (one Neon HTTP
 * request, one transaction) beside ordinary drizzle queries, and its result is what drizzle
 * would give: the rows for a statement with RETURNING, the driver's result otherwise.
 */
export type Statement = BatchItem<'pg'>;

type Slot =
  | { kind: 'constant'; value: unknown }
  | { kind: 'value'; name: string; encode: ((value: unknown) => unknown) | null };

export interface PreparedStatement<V extends Record<string, unknown> = Record<string, unknown>> {
  readonly sql: string;
  bind(values: V): Statement;
}

/** Passed as a value, JSON text that goes to a jsonb parameter as it is (not stringified again). */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Prepares a drizzle query whose values are `sql.placeholder(name)`. The query must not embed
 * per-call values any other way: everything that varies between calls is a placeholder.
 */
export function prepare<V extends Record<string, unknown>>(
  query: { toSQL(): { sql: string; params: unknown[] } },
  options: { returning?: boolean } = {},
): PreparedStatement<V> {
  const built = query.toSQL();
  const slots = built.params.map(toSlot);
  const returning = options.returning ?? /\breturning\b/i.test(built.sql);
  return {
    sql: built.sql,
    bind(values) {
      const params = new Array(slots.length);
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        if (slot.kind === 'constant') {
          params[i] = slot.value;
          continue;
        }
        const value = values[slot.name];
        if (value === undefined) throw new Error(`prepared statement: no value for "${slot.name}"`);
        params[i] =
          value === null
            ? null
            : value instanceof JsonText
              ? value.text
              : slot.encode
                ? slot.encode(value)
                : value;
      }
      return new BoundStatement(built.sql, params, returning) as unknown as Statement;
    },
  };
}

function toSlot(param: unknown): Slot {
  if (is(param, Placeholder)) return { kind: 'value', name: param.name, encode: null };
  if (is(param, Param) && is(param.value, Placeholder)) {
    const { encoder } = param;
    return {
      kind: 'value',
      name: (param.value as Placeholder).name,
      encode: encoder ? (value) => encoder.mapToDriverValue(value) : null,
    };
  }
  return { kind: 'constant', value: param };
}

/** What drizzle's neon-http session asks of a batch item: `_prepare()` → the built query. */
class BoundStatement {
  constructor(
    readonly sql: string,
    readonly params: unknown[],
    readonly returning: boolean,
  ) {}
  _prepare() {
    return this;
  }
  getQuery() {
    return { sql: this.sql, params: this.params };
  }
  isResponseInArrayMode() {
    return false;
  }
  mapResult(result: { rows?: unknown[] }) {
    return this.returning ? (result.rows ?? []) : result;
  }
}

/** Prepares SQL text whose parameters `$1, $2…` are the named values, in order. */
export function prepareSql<V extends Record<string, unknown>>(
  text: string,
  names: ReadonlyArray<keyof V & string>,
  options: { returning?: boolean } = {},
): PreparedStatement<V> {
  return prepare(
    { toSQL: () => ({ sql: text, params: names.map((name) => sql.placeholder(name)) }) },
    options,
  );
}

/**
 * A module's prepared statements, built on first use (building needs a drizzle instance; the SQL
 * does not depend on which) and kept for the isolate.
 */
export function preparedOnce<T, D>(build: (db: D) => T): (db: D) => T {
  let built: T | undefined;
  return (db) => {
    if (built === undefined) built = build(db);
    return built;
  };
}

/** `sql.placeholder`, re-exported so statement modules import one thing. */
export const placeholder = sql.placeholder;

/** Is this value an SQL fragment (inlined into a prepared statement rather than bound)? */
export function isSql(value: unknown): value is SQL {
  return is(value, SQL);
}
