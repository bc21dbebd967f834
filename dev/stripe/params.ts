import { asValidation, invalidRequest, missingParam, type StripeApiError, unknownParam } from './errors';
import { type FormObject, type FormValue, formArray, paramName, setOwn } from './form';
import { type KnownParamsName, knownParams } from './known-params';

/**
 * Small typed parameter parsers for form-decoded Stripe requests. Each parser receives the raw
 * value (string or nested object, `undefined` when absent) and the Stripe-style parameter name
 * used in error messages, and returns the typed value or throws a Stripe-shaped 400.
 */
export type Parser<T> = (value: FormValue | undefined, param: string) => T;
type Shape = Record<string, Parser<unknown>>;
export type Parsed<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

function describe(value: FormValue): string {
  return typeof value === 'string' ? value : 'a hash';
}

function emptyError(param: string): StripeApiError {
  return invalidRequest(
    `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
    param,
    'parameter_invalid_empty',
  );
}

function scalar(value: FormValue, param: string): string {
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${describe(value)}`, param);
  return value;
}

export function str(opts: { max?: number } = {}): Parser<string | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const s = scalar(value, param);
    if (s === '') throw emptyError(param);
    if (opts.max !== undefined && s.length > opts.max) {
      throw invalidRequest(
        `Invalid string: ${s.slice(0, 20)}...; must be at most ${opts.max} characters`,
        param,
      );
    }
    return s;
  };
}

export function int(opts: { min?: number; max?: number } = {}): Parser<number | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const s = scalar(value, param);
    if (s === '') throw emptyError(param);
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
      throw invalidRequest(`Invalid integer: ${s}`, param, 'parameter_invalid_integer');
    }
    const n = Number(s);
    if (opts.min !== undefined && n < opts.min) {
      throw invalidRequest(
        `This value must be greater than or equal to ${opts.min}.`,
        param,
        'parameter_invalid_integer',
      );
    }
    if (opts.max !== undefined && n > opts.max) {
      throw invalidRequest(
        `This value must be less than or equal to ${opts.max}.`,
        param,
        'parameter_invalid_integer',
      );
    }
    return n;
  };
}

/** Decimal string such as `unit_amount_decimal=12.5`. */
export function decimal(): Parser<string | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const s = scalar(value, param);
    if (s === '') throw emptyError(param);
    if (!/^-?\d+(\.\d+)?$/.test(s)) throw invalidRequest(`Invalid decimal: ${s}`, param);
    return s;
  };
}

export function bool(): Parser<boolean | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const s = scalar(value, param);
    if (s === '') throw emptyError(param);
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${s}`, param);
  };
}

export function oneOf<const V extends string>(values: readonly V[]): Parser<V | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const s = scalar(value, param);
    if (s === '') throw emptyError(param);
    if (!(values as readonly string[]).includes(s)) {
      const list =
        values.length > 1 ? `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}` : values[0];
      throw invalidRequest(`Invalid ${lastSegment(param)}: must be one of ${list}`, param);
    }
    return s as V;
  };
}

/** Unix timestamp, or the literal `now` where Stripe allows it (e.g. `trial_end=now`). */
export function timestamp(opts: { allowNow?: boolean } = {}): Parser<number | 'now' | undefined> {
  const parseSeconds = int({ min: 0 });
  return (value, param) => {
    if (value === 'now' && opts.allowNow) return 'now';
    return parseSeconds(value, param);
  };
}

function lastSegment(param: string): string {
  const m = /\[([^\]]*)\]$/.exec(param);
  return m ? m[1]! : param;
}

/** Wraps a parser so the parameter must be present (and non-empty). */
export function required<T>(parser: Parser<T | undefined>): Parser<T> {
  return (value, param) => {
    if (value === undefined) throw missingParam(param);
    const result = parser(value, param);
    if (result === undefined) throw missingParam(param);
    return result;
  };
}

/** Stripe unsets a field when it receives an empty string: `description=` → `null`. */
export function emptyable<T>(parser: Parser<T | undefined>): Parser<T | null | undefined> {
  return (value, param) => (value === '' ? null : parser(value, param));
}

/** Metadata update: `null` clears all keys; a key mapped to `null` is removed. */
export type MetadataParam = Record<string, string | null> | null;

export function metadata(): Parser<MetadataParam | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (typeof value === 'string') throw invalidRequest('Invalid hash', param);
    const out: Record<string, string | null> = {};
    for (const key of Object.keys(value)) {
      const v = value[key]!;
      if (typeof v !== 'string') throw invalidRequest('Invalid hash', paramName(param, key));
      if (key.length > 40) {
        throw invalidRequest(
          `Metadata keys can have up to 40 characters. The key '${key.slice(0, 40)}...' is too long.`,
          paramName(param, key),
        );
      }
      if (key.includes('[') || key.includes(']')) {
        throw invalidRequest(`Metadata keys cannot contain square brackets.`, paramName(param, key));
      }
      if (v.length > 500) {
        throw invalidRequest(
          `Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters.`,
          paramName(param, key),
        );
      }
      setOwn(out, key, v === '' ? null : v);
    }
    return out;
  };
}

export function applyMetadata(
  current: Record<string, string>,
  update: MetadataParam | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete next[k];
    else setOwn(next, k, v);
  }
  if (Object.keys(next).length > 50) {
    throw invalidRequest('You can have up to 50 keys in metadata. You have more than 50 keys.', 'metadata');
  }
  return next;
}

export function array<T>(item: Parser<T>, opts: { max?: number } = {}): Parser<T[] | undefined> {
  return (value, param) => {
    if (value === undefined) return undefined;
    const items = formArray(value, param);
    if (opts.max !== undefined && items.length > opts.max) {
      throw invalidRequest(`You passed ${items.length} items; the maximum is ${opts.max}.`, param);
    }
    return items.map((v, i) => item(v, paramName(param, i)));
  };
}

export function stringArray(opts: { max?: number } = {}): Parser<string[] | undefined> {
  return array(required(str()), opts);
}

export interface ObjectOptions {
  /** Extra keys Stripe accepts at this level that the emulator ignores. */
  known?: Iterable<string>;
}

export function object<S extends Shape>(shape: S, opts: ObjectOptions = {}): Parser<Parsed<S> | undefined> {
  const known = new Set(opts.known ?? []);
  return (value, param) => {
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      if (value === '') return undefined;
      throw invalidRequest('Invalid hash', param);
    }
    return parseShape(value, shape, param, known);
  };
}

function parseShape<S extends Shape>(
  value: FormObject,
  shape: S,
  prefix: string,
  known: Set<string>,
): Parsed<S> {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape, key) && !known.has(key)) throw unknownParam(paramName(prefix, key));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    out[key] = shape[key]!(value[key], paramName(prefix, key));
  }
  return out as Parsed<S>;
}

/**
 * Parses a whole request. `knownName` names the stripe-node `*Params` interface whose other
 * top-level keys are accepted (and ignored); `expand` is always accepted.
 */
export function parseParams<S extends Shape>(
  raw: FormObject,
  shape: S,
  knownName?: KnownParamsName,
): Parsed<S> {
  const known = new Set<string>(knownName ? knownParams(knownName) : []);
  known.add('expand');
  try {
    return parseShape(raw, shape, '', known);
  } catch (err) {
    throw asValidation(err);
  }
}

export type RangeFilter = { gt?: number; gte?: number; lt?: number; lte?: number };

/** `created=123` or `created[gte]=…&created[lt]=…`. */
export function range(): Parser<RangeFilter | undefined> {
  const inner = object({ gt: int(), gte: int(), lt: int(), lte: int() });
  const exact = int();
  return (value, param) => {
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      const n = exact(value, param)!;
      return { gte: n, lte: n };
    }
    const r = inner(value, param)!;
    const out: RangeFilter = {};
    if (r.gt !== undefined) out.gt = r.gt;
    if (r.gte !== undefined) out.gte = r.gte;
    if (r.lt !== undefined) out.lt = r.lt;
    if (r.lte !== undefined) out.lte = r.lte;
    return out;
  };
}

export function inRange(n: number | null | undefined, r: RangeFilter | undefined): boolean {
  if (!r) return true;
  if (n === null || n === undefined) return false;
  if (r.gt !== undefined && !(n > r.gt)) return false;
  if (r.gte !== undefined && !(n >= r.gte)) return false;
  if (r.lt !== undefined && !(n < r.lt)) return false;
  if (r.lte !== undefined && !(n <= r.lte)) return false;
  return true;
}

/** Pagination parameters shared by every list endpoint. */
export const paginationShape = {
  limit: int({ min: 1, max: 100 }),
  starting_after: str(),
  ending_before: str(),
};
