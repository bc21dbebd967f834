import { invalidRequest } from './errors';

/**
 * Stripe v1 bodies and query strings are form-encoded with bracketed keys
 * (`line_items[0][price]=…`, `expand[]=…`, `metadata[plan]=pro`). Decoding produces nested
 * objects only; whether `{ "0": …, "1": … }` is an array is decided by the parameter parser
 * (`metadata[0]` is a metadata key, `line_items[0]` is an index).
 */
export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export function emptyFormObject(): FormObject {
  return Object.create(null) as FormObject;
}

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`. */
export function parseKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let match: RegExpExecArray | null = re.exec(key);
  let end = open;
  while (match) {
    segments.push(match[1] ?? '');
    end = re.lastIndex;
    match = re.exec(key);
  }
  // Trailing garbage after the last bracket (`a[b]c`) is kept as part of the last segment name,
  // which then fails as an unknown parameter, like Stripe.
  if (end < key.length) segments[segments.length - 1] += key.slice(end);
  return segments;
}

export function decodeForm(input: string | URLSearchParams): FormObject {
  const params = typeof input === 'string' ? new URLSearchParams(input) : input;
  const root = emptyFormObject();
  for (const [key, value] of params) {
    if (key === '') continue;
    const segments = parseKey(key);
    let node: FormObject = root;
    for (let i = 0; i < segments.length; i++) {
      let segment = segments[i]!;
      const last = i === segments.length - 1;
      // `a[]` appends: the next free numeric index of this container.
      if (segment === '' && i > 0) segment = String(Object.keys(node).length);
      const path = segments.slice(1, i + 1).reduce((acc, s) => paramName(acc, s), segments[0]!);
      if (last) {
        if (typeof node[segment] === 'object') throw invalidRequest(`Invalid hash`, path);
        node[segment] = value;
      } else {
        const existing = node[segment];
        if (existing === undefined) {
          const child = emptyFormObject();
          node[segment] = child;
          node = child;
        } else if (typeof existing === 'string') {
          // `a=1&a[b]=2`: a scalar and a hash under the same name.
          if (existing === '') {
            const child = emptyFormObject();
            node[segment] = child;
            node = child;
          } else {
            throw invalidRequest(`Invalid hash`, path);
          }
        } else {
          node = existing;
        }
      }
    }
  }
  return root;
}

/** Name of a nested parameter the way Stripe reports it: `line_items[0][price]`. */
export function paramName(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}[${key}]`;
}

/** Converts a decoded `{ "0": …, "1": … }` (or `a[]=…`) container into an array, ordered by index. */
export function formArray(value: FormValue, param: string): FormValue[] {
  if (typeof value === 'string') {
    if (value === '') return [];
    throw invalidRequest(`Invalid array`, param);
  }
  const keys = Object.keys(value);
  if (!keys.every((k) => /^\d+$/.test(k))) throw invalidRequest(`Invalid array`, param);
  return keys
    .map((k) => Number(k))
    .sort((a, b) => a - b)
    .map((k) => value[String(k)]!);
}

/** Plain-object view of a decoded form (for hashing and logging). */
export function formToPlain(value: FormValue): unknown {
  if (typeof value === 'string') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) setOwn(out, key, formToPlain(value[key]!));
  return out;
}

/**
 * Encodes a plain value the way stripe-node does before sending (numbers and booleans become
 * strings, arrays become `{ "0": … }`), so internal callers can reuse the API handlers.
 */
export function toForm(value: Record<string, unknown>): FormObject {
  const out = emptyFormObject();
  for (const [key, v] of Object.entries(value)) {
    const encoded = toFormValue(v);
    if (encoded !== undefined) out[key] = encoded;
  }
  return out;
}

function toFormValue(value: unknown): FormValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return '';
  if (Array.isArray(value)) {
    const out = emptyFormObject();
    value.forEach((v, i) => {
      const encoded = toFormValue(v);
      if (encoded !== undefined) out[String(i)] = encoded;
    });
    return out;
  }
  if (typeof value === 'object') return toForm(value as Record<string, unknown>);
  return String(value);
}

/** Assigns a property even when the key is `__proto__` (a plain assignment would change the prototype). */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
