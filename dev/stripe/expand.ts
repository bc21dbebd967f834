import { invalidRequest } from './errors';
import { objectTypeForId } from './ids';
import type { Book } from './store';
import { clone } from './store';

/** Fields that are absent unless expanded (Stripe calls them "includable"). */
type Includable = (book: Book, owner: Record<string, unknown>) => unknown;
const includables = new Map<string, Includable>();

export function registerIncludable(objectType: string, field: string, fn: Includable): void {
  includables.set(`${objectType}.${field}`, fn);
}

function cannotExpand(path: string) {
  return invalidRequest(`This property cannot be expanded (${path}).`);
}

/** Finds any object of the book by id, using its prefix (`cus_` → customers, …). */
export function findById(book: Book, id: string): Record<string, unknown> | undefined {
  const type = objectTypeForId(id);
  if (!type) return undefined;
  const collection = book.collections()[type];
  const found = collection?.get(id);
  if (found) return found as unknown as Record<string, unknown>;
  if (type === 'customer' && book.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
  return undefined;
}

export function validateExpand(paths: string[]): void {
  for (const path of paths) {
    if (path.split('.').length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`);
    }
  }
}

function expandAt(book: Book, node: unknown, segments: string[], path: string): unknown {
  if (Array.isArray(node)) return node.map((n) => expandAt(book, n, segments, path));
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const [head, ...rest] = segments;
  if (head === undefined) return node;
  if (!(head in obj)) {
    const include = typeof obj.object === 'string' ? includables.get(`${obj.object}.${head}`) : undefined;
    if (!include) throw cannotExpand(path);
    obj[head] = clone(include(book, obj));
  } else if (typeof obj[head] === 'string') {
    const id = obj[head];
    if (head === 'id' || !objectTypeForId(id)) throw cannotExpand(path);
    const found = findById(book, id);
    if (found) obj[head] = clone(found);
  } else if (rest.length === 0 && Array.isArray(obj[head])) {
    // A list of ids (a subscription's `discounts`) expands element by element.
    obj[head] = (obj[head] as unknown[]).map((v) => {
      const found = typeof v === 'string' && objectTypeForId(v) ? findById(book, v) : undefined;
      return found ? clone(found) : v;
    });
  } else if (rest.length === 0 && obj[head] !== null && typeof obj[head] === 'object') {
    // Already an object: expanding it is a no-op unless it is a plain hash (e.g. `metadata`).
    const inner = obj[head] as Record<string, unknown>;
    if (typeof inner.object !== 'string') throw cannotExpand(path);
  }
  if (rest.length > 0) obj[head] = expandAt(book, obj[head], rest, path);
  return obj;
}

/**
 * `value` with every `expand[]` path applied, on a deep copy (expanding writes into it). Without
 * paths the stored objects are returned as they are: the server serializes them at once, and a
 * 100-object page of subscriptions is not copied for nothing.
 */
export function render(book: Book, value: unknown, expand: string[] = []): unknown {
  if (expand.length === 0) return value;
  let out = clone(value);
  for (const path of expand) out = expandAt(book, out, path.split('.'), path);
  return out;
}
