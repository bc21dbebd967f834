/**
 * The Worker's own OpenAPI document, read as the tests need it (the fuzz suite, the response
 * conformance hook of support/worker.ts, the route × status coverage check): every operation
 * with its parameters, body, security and, per status, the JSON schema it declares and the
 * error codes it documents; and which operation (if any) a concrete method and path reach, in
 * the order the routes are mounted.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /admin/v1/{env}/events/{id} */
  path: string;
  label: string;
  params: Param[];
  body: { required: boolean; schema: JsonSchema } | null;
  /** error status → documented codes (null: the schema names no enum, any code goes) */
  errors: Map<number, Set<string> | null>;
  statuses: Set<number>;
  /** status → the declared `application/json` schema, unresolved (null: no JSON body declared) */
  responses: Map<number, unknown | null>;
  adminKey: boolean;
  /** the operation takes an end-user JWT (security scheme `userJwt`) */
  userJwt: boolean;
  pattern: RegExp;
}

export interface Spec {
  doc: any;
  operations: Operation[];
  /** every error code the document names (its Error component and every response) */
  allCodes: Set<string>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function readSpec(doc: any): Spec {
  const resolve = (s: any): any => {
    let cur = s;
    for (let i = 0; i < 10 && cur?.$ref; i++) {
      const parts = String(cur.$ref).replace(/^#\//, '').split('/');
      cur = parts.reduce((o: any, k) => o?.[k], doc);
    }
    return cur;
  };
  const allCodes = new Set<string>(
    resolve(doc.components?.schemas?.Error)?.properties?.error?.properties?.code?.enum,
  );
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const params: Param[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => {
        const r = resolve(p);
        return { name: r.name, in: r.in, required: Boolean(r.required), schema: resolve(r.schema) ?? {} };
      });
      const bodySchema = op.requestBody
        ? resolve(resolve(op.requestBody).content?.['application/json']?.schema)
        : undefined;
      const errors = new Map<number, Set<string> | null>();
      const statuses = new Set<number>();
      const responses = new Map<number, unknown | null>();
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        const code = Number(status);
        statuses.add(code);
        responses.set(code, resolve(response).content?.['application/json']?.schema ?? null);
        if (code < 400) continue;
        const schema = resolve(resolve(response).content?.['application/json']?.schema);
        const codes = resolve(resolve(schema?.properties?.error)?.properties?.code)?.enum as
          | string[]
          | undefined;
        errors.set(code, codes ? new Set(codes) : null);
        for (const c of codes ?? []) allCodes.add(c);
      }
      operations.push({
        method: m.toUpperCase(),
        path,
        label: `${m.toUpperCase()} ${path}`,
        params,
        body: bodySchema
          ? { required: Boolean(resolve(op.requestBody).required), schema: resolveDeep(bodySchema, resolve) }
          : null,
        errors,
        statuses,
        responses,
        adminKey: (op.security ?? doc.security ?? []).some((s: Record<string, unknown>) => 'adminKey' in s),
        userJwt: (op.security ?? doc.security ?? []).some((s: Record<string, unknown>) => 'userJwt' in s),
        pattern: templatePattern(path),
      });
    }
  }
  return { doc, operations, allCodes };
}

function resolveDeep(schema: any, resolve: (s: any) => any): JsonSchema {
  const s = resolve(schema) ?? {};
  if (!s.properties) return s;
  return {
    ...s,
    properties: Object.fromEntries(
      Object.entries<any>(s.properties).map(([k, v]) => [k, resolveDeep(v, resolve)]),
    ),
  };
}

function templatePattern(path: string): RegExp {
  const body = path
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()[\]\\|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** The operation a request reaches: first mounted operation whose path and method match (HEAD → GET). */
export function operationFor(spec: Spec, method: string, pathname: string): Operation | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return spec.operations.find((op) => op.method === m && op.pattern.test(pathname));
}

/** Methods documented for a concrete path (empty: no documented path matches it). */
export function methodsAt(spec: Spec, pathname: string): Set<string> {
  return new Set(spec.operations.filter((op) => op.pattern.test(pathname)).map((op) => op.method));
}

/**
 * Whether a query value (as the server decodes it) breaks the documented schema; the reason,
 * or null. Numbers are read as leniently as a coercing parser would, so a reason here means
 * every reasonable reading refuses the value.
 */
export function schemaViolation(value: string, schema: JsonSchema): string | null {
  if (value.includes('\u0000')) return 'contains NUL';
  if (schema.enum && !schema.enum.includes(value)) return `not one of ${schema.enum.join('|')}`;
  if (schema.type === 'integer' || schema.type === 'number') {
    const n = Number(value);
    if (!Number.isFinite(n)) return 'not a finite number';
    if (schema.type === 'integer' && !Number.isInteger(n)) return 'not an integer';
    if (schema.minimum !== undefined && n < schema.minimum) return `below ${schema.minimum}`;
    if (schema.maximum !== undefined && n > schema.maximum) return `above ${schema.maximum}`;
    return null;
  }
  if (schema.type === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `longer than ${schema.maxLength}`;
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return `shorter than ${schema.minLength}`;
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) return `does not match ${schema.pattern}`;
    if (schema.format === 'date-time' && !isPostgresDateTime(value))
      return 'not an RFC 3339 date-time Postgres can hold';
  }
  return null;
}

/** RFC 3339 date-time with offset, a real calendar date, year 1..9999 (Postgres has no year 0). */
export function isPostgresDateTime(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate();
  const leap = mo === 2 && d === 29 ? (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 : true;
  return d >= 1 && d <= days && leap;
}
