/**
 * Requests for every operation of /openapi.json: a well-formed request built from the
 * document (real ids and cursors where the route takes them), then one kind of mutation of it.
 * A case may carry the answer the issue asks for (e.g. a forged cursor → 400), checked only
 * when auth passes; the invariants of checks.ts hold for every case.
 */
import fc from 'fast-check';
import { type JsonSchema, methodsAt, type Operation, type Spec } from '../support/openapi-spec';
import type { FuzzRequest } from './exchange';
import {
  DATE_TEXT,
  encodeExact,
  forgedCursor,
  hostileText,
  isWellFormed,
  jsonWithRawNumbers,
  LONE_HIGH,
  NUL,
  NUMBER_TEXT,
  nearId,
  RAW_NUMBERS,
  SQLISH,
} from './values';

/**
 * Auth states: no Authorization header; wrong credentials; valid ones (the admin key for an
 * `adminKey` operation, a user JWT for a `userJwt` one, nothing extra for a public one).
 */
export type Auth = 'none' | 'wrong' | 'valid';
export const AUTHS: Auth[] = ['none', 'wrong', 'valid'];

export type Kind =
  | 'baseline'
  | 'env'
  | 'id'
  | 'query'
  | 'cursor'
  | 'date'
  | 'number'
  | 'headers'
  | 'body'
  | 'content-type'
  | 'method'
  | 'path-shape';

export interface Fixtures {
  adminKey: string;
  /** end-user JWTs: `valid` ones the Worker accepts, `invalid` ones it must refuse with 401 */
  userTokens: { valid: string[]; invalid: string[] };
  /** Stripe keys of the emulator account, per environment */
  stripeKeys: { test: string; live: string };
  eventIds: string[];
  /** nextCursor values per OpenAPI path of a list */
  cursors: Map<string, string[]>;
}

export interface RouteCase {
  req: FuzzRequest;
  /** what the issue asks for this input once auth has passed, and why */
  expect?: { statuses: number[]; why: string };
  /** decoded query values the server will see, to judge them against the document */
  queryChecks?: Array<{ name: string; schema: JsonSchema }>;
}

interface Parts {
  method: string;
  env: { text: string; raw?: boolean };
  id: { text: string; raw?: boolean };
  query: Array<[string, string]>;
  rawQuery?: string;
  headers: Array<[string, string]>;
  body?: FuzzRequest['body'];
  pathOverride?: string;
}

const queryParams = (op: Operation) => op.params.filter((p) => p.in === 'query');
const hasBodyMethod = (op: Operation) => ['POST', 'PUT', 'DELETE', 'PATCH'].includes(op.method);

export function kindsFor(op: Operation): Kind[] {
  const q = queryParams(op);
  const kinds: Kind[] = ['baseline'];
  if (op.path.includes('{env}')) kinds.push('env');
  if (op.path.includes('{id}')) kinds.push('id');
  if (q.length > 0) kinds.push('query');
  if (q.some((p) => p.name === 'cursor')) kinds.push('cursor');
  if (q.some((p) => p.schema.format === 'date-time')) kinds.push('date');
  if (q.some((p) => p.schema.type === 'integer' || p.schema.type === 'number')) kinds.push('number');
  kinds.push('headers');
  if (hasBodyMethod(op)) kinds.push('body', 'content-type');
  kinds.push('method', 'path-shape');
  return kinds;
}

const WRONG_AUTH = (key: string) =>
  fc.constantFrom(
    'Bearer not-the-admin-key-0000000000',
    `Bearer ${key}x`,
    `Bearer ${key.slice(0, -1)}`,
    `Bearer ${key} extra`,
    `Basic ${btoa(`admin:${key}`)}`,
    `Token ${key}`,
    'Bearer',
    'Bearer ',
    `${key}`,
    "Bearer ' or '1'='1",
    `Bearer ${'k'.repeat(5000)}`,
  );

/** Tokens a `userJwt` operation must refuse: every bad token of the issue, and credentials of another kind. */
const WRONG_USER_AUTH = (fx: Fixtures) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...fx.userTokens.invalid).map((t) => `Bearer ${t}`), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        `Bearer ${fx.adminKey}`,
        `Bearer ${fx.userTokens.valid[0]}x`,
        `Basic ${btoa('user:pw')}`,
        'Bearer',
        'Bearer ',
        'Bearer a.b.c',
        "Bearer ' or '1'='1",
        `Bearer ${'k'.repeat(5000)}`,
        String(fx.userTokens.valid[0]),
      ),
      weight: 2,
    },
  );

function authHeader(op: Operation, auth: Auth, fx: Fixtures): fc.Arbitrary<Array<[string, string]>> {
  const header = (v: string) => [['authorization', v]] as Array<[string, string]>;
  if (auth === 'none') return fc.constant([]);
  if (op.userJwt) {
    if (auth === 'wrong') return WRONG_USER_AUTH(fx).map(header);
    return fc.constantFrom(...fx.userTokens.valid).map((t) => header(`Bearer ${t}`));
  }
  if (auth === 'wrong')
    return fc
      .oneof(
        WRONG_AUTH(fx.adminKey),
        fc.constantFrom(...fx.userTokens.valid).map((t) => `Bearer ${t}`),
      )
      .map(header);
  return fc.constantFrom(`Bearer ${fx.adminKey}`, `bearer ${fx.adminKey}`).map(header);
}

/** A value the document accepts for a query parameter. */
function validQueryValue(
  name: string,
  schema: JsonSchema,
  op: Operation,
  fx: Fixtures,
): fc.Arbitrary<string> {
  if (name === 'cursor') {
    const real = fx.cursors.get(op.path) ?? [];
    return real.length > 0 ? fc.constantFrom(...real) : fc.constant('');
  }
  if (schema.enum) return fc.constantFrom(...schema.enum.map(String));
  // A free-text environment filter (documented as "test | live"): only those two name one.
  if (name === 'environment' || name === 'env') return fc.constantFrom('test', 'live');
  if (schema.type === 'integer')
    return fc.integer({ min: schema.minimum ?? 1, max: schema.maximum ?? 100 }).map(String);
  if (schema.format === 'date-time')
    return fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    return fc
      .stringMatching(re, { size: 'xsmall' })
      .filter(
        (s) => isWellFormed(s) && !s.includes(NUL) && s.length <= (schema.maxLength ?? 500) && re.test(s),
      );
  }
  return fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 });
}

function validBody(
  spec: Spec,
  op: Operation,
  env: string,
  fx: Fixtures,
): fc.Arbitrary<Record<string, unknown> | undefined> {
  if (!op.body) return fc.constant(undefined);
  const props = op.body.schema.properties ?? {};
  if ('secretKey' in props) {
    const key = env === 'live' ? fx.stripeKeys.live : fx.stripeKeys.test;
    return fc.constantFrom(
      { secretKey: key },
      { secretKey: `sk_${env}_fuzz0000000000000000` },
      { secretKey: env === 'live' ? fx.stripeKeys.test : fx.stripeKeys.live },
    );
  }
  if ('url' in props) return fc.constantFrom(undefined, {}, { url: 'http://127.0.0.1:8787' });
  return fc.constant(exampleOf(spec, op.body.schema) as Record<string, unknown>);
}

/**
 * A value of the shape `schema` documents (required properties only, the first branch of a
 * union): the well-formed request the mutations start from. Ids it invents name nothing, so a
 * route that looks them up answers its documented 4xx.
 */
export function exampleOf(spec: Spec, schema: unknown, depth = 0): unknown {
  const s = resolveRef(spec, schema) as JsonSchema & Record<string, any>;
  if (!s || depth > 6) return null;
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const branch = s.anyOf ?? s.oneOf ?? s.allOf;
  if (Array.isArray(branch) && branch.length > 0) return exampleOf(spec, branch[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      // Required properties; with none required (an "one of these" rule in code), the first one.
      const names: string[] = s.required ?? Object.keys(s.properties ?? {}).slice(0, 1);
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = exampleOf(spec, s.properties?.[name], depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => exampleOf(spec, s.items, depth + 1));
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'string':
      if (s.format === 'uri' || s.format === 'url') return 'https://app.paywire.test/return';
      if (s.format === 'email') return 'fuzz@paywire.test';
      if (s.format === 'date-time') return '2030-01-01T00:00:00Z';
      return 'fuzz'.padEnd(s.minLength ?? 4, 'z');
    default:
      return s.properties ? exampleOf(spec, { ...s, type: 'object' }, depth + 1) : null;
  }
}

function resolveRef(spec: Spec, schema: unknown): unknown {
  let cur = schema as { $ref?: string } | undefined;
  for (let i = 0; i < 10 && cur?.$ref; i++)
    cur = String(cur.$ref)
      .replace(/^#\//, '')
      .split('/')
      .reduce((o: any, k) => o?.[k], spec.doc);
  return cur;
}

function baseline(spec: Spec, op: Operation, auth: Auth, fx: Fixtures): fc.Arbitrary<Parts> {
  const optional = queryParams(op).map((p) =>
    fc.option(
      validQueryValue(p.name, p.schema, op, fx).map((v) => [p.name, v] as [string, string]),
      { freq: 3 },
    ),
  );
  return fc
    .record({
      env: fc.constantFrom('test', 'test', 'live'),
      id: fx.eventIds.length > 0 ? fc.constantFrom(...fx.eventIds) : fc.constant('evt_missing'),
      query: fc.tuple(...optional),
      auth: authHeader(op, auth, fx),
    })
    .chain((b) =>
      validBody(spec, op, b.env, fx).map((body) => {
        const headers: Array<[string, string]> = [...b.auth];
        const parts: Parts = {
          method: op.method,
          env: { text: b.env },
          id: { text: b.id },
          query: b.query.filter((q): q is [string, string] => q !== null && q[1] !== ''),
          headers,
        };
        if (body !== undefined) {
          parts.body = JSON.stringify(body);
          headers.push(['content-type', 'application/json']);
        }
        return parts;
      }),
    );
}

export function materialize(op: Operation, p: Parts): FuzzRequest {
  const seg = (v: { text: string; raw?: boolean }) => (v.raw ? v.text : encodeExact(v.text));
  const path = p.pathOverride ?? op.path.replace('{env}', seg(p.env)).replace('{id}', seg(p.id));
  const query = [
    ...p.query.map(([k, v]) => `${encodeExact(k)}=${encodeExact(v)}`),
    ...(p.rawQuery !== undefined ? [p.rawQuery] : []),
  ].join('&');
  const req: FuzzRequest = {
    method: p.method,
    target: query ? `${path}?${query}` : path,
    headers: p.headers,
  };
  if (p.body !== undefined) req.body = p.body;
  return req;
}

const ENV_VALUES = fc.oneof(
  { arbitrary: hostileText, weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'staging',
      'TEST',
      'Live',
      ' test',
      'test ',
      'tes',
      'testt',
      'test.',
      'prod',
      'live\n',
    ),
    weight: 2,
  },
);
const RAW_SEGMENTS = [
  '%00',
  'test%00',
  '%ED%A0%80',
  '%FF',
  '%C0%80',
  'test%2F..',
  '%2e%2e',
  '..',
  '.',
  '',
  '%',
  '%zz',
];

function mutation(
  op: Operation,
  kind: Kind,
  spec: Spec,
  fx: Fixtures,
): fc.Arbitrary<(p: Parts) => Omit<RouteCase, 'req'>> {
  const q = queryParams(op);
  switch (kind) {
    case 'baseline':
      return fc.constant(() => ({}));
    case 'env':
      return fc.oneof(
        ENV_VALUES.map((v) => (p: Parts) => {
          p.env = { text: v };
          const shifts = v === '' || v === '.' || v === '..' || v.includes('/');
          return v === 'test' || v === 'live' || shifts
            ? {}
            : { expect: { statuses: [400, 404], why: `unknown environment ${JSON.stringify(v)}` } };
        }),
        fc.constantFrom(...RAW_SEGMENTS).map((v) => (p: Parts) => {
          p.env = { text: v, raw: true };
          return {};
        }),
      );
    case 'id':
      return fc.oneof(
        fc
          .oneof(
            hostileText,
            nearId('evt'),
            fc.nat({ max: 300_000 }).map((n) => `evt_${'a'.repeat(n)}`),
          )
          .map((v) => (p: Parts) => {
            p.id = { text: v };
            const shifts = v === '' || v === '.' || v === '..' || v.includes('/');
            return shifts
              ? {}
              : {
                  expect: {
                    statuses: [400, 404],
                    why: `no event has the id ${JSON.stringify(v.slice(0, 40))}`,
                  },
                };
          }),
        fc.constantFrom(...RAW_SEGMENTS).map((v) => (p: Parts) => {
          p.id = { text: v, raw: true };
          return {};
        }),
      );
    case 'query':
      return fc.oneof(
        fc.tuple(fc.constantFrom(...q), fc.oneof(hostileText, fc.constantFrom(...NUMBER_TEXT))).map(
          ([param, v]) =>
            (p: Parts) =>
              setQuery(p, param.name, v, param.schema),
        ),
        fc
          .tuple(
            fc.oneof(hostileText, fc.constantFrom('limit[]', 'cursor[0]', '__proto__', 'constructor')),
            hostileText,
          )
          .map(([k, v]) => (p: Parts) => {
            p.query.push([k, v]);
            return {};
          }),
        fc
          .constantFrom(
            '&&&',
            '=x',
            'limit',
            'limit=1&limit=2',
            'limit=1&limit=abc',
            '%zz=1',
            'cursor=%00',
            `${'a'.repeat(8000)}=1`,
            'a=%ED%A0%80',
            'status=processed%00',
          )
          .map((raw) => (p: Parts) => {
            p.rawQuery = raw;
            return {};
          }),
      );
    case 'cursor':
      return forgedCursor(fx.cursors.get(op.path) ?? []).map((c) => (p: Parts) => {
        p.query = p.query.filter(([k]) => k !== 'cursor');
        p.query.push(['cursor', c.value]);
        return c.invalid ? { expect: { statuses: [400], why: `forged cursor (${c.how})` } } : {};
      });
    case 'date': {
      const dates = q.filter((x) => x.schema.format === 'date-time');
      return fc
        .tuple(fc.constantFrom(...dates), fc.constantFrom(...DATE_TEXT))
        .map(([param, d]) => (p: Parts) => {
          const r = setQuery(p, param.name, d.value, param.schema);
          return d.invalid
            ? { ...r, expect: { statuses: [400], why: `${param.name}=${JSON.stringify(d.value)}` } }
            : r;
        });
    }
    case 'number': {
      const nums = q.filter((x) => x.schema.type === 'integer' || x.schema.type === 'number');
      return fc
        .tuple(
          fc.constantFrom(...nums),
          fc.oneof(
            fc.constantFrom(...NUMBER_TEXT),
            fc.bigInt().map(String),
            fc.double().map(String),
            fc.integer().map(String),
          ),
        )
        .map(
          ([param, v]) =>
            (p: Parts) =>
              setQuery(p, param.name, v, param.schema),
        );
    }
    case 'headers':
      return fc.array(hostileHeader, { minLength: 1, maxLength: 4 }).map((hs) => (p: Parts) => {
        p.headers.push(...hs);
        return {};
      });
    case 'body':
      return bodyMutation(op);
    case 'content-type':
      return fc
        .constantFrom(
          'text/plain',
          'text/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/jsonx',
          'json',
          '*/*',
          'application/octet-stream',
          '(none)',
        )
        .map((type) => (p: Parts) => {
          const body = p.body ?? '{}';
          p.headers = p.headers.filter(([k]) => k !== 'content-type');
          if (type === '(none)') p.body = new TextEncoder().encode(typeof body === 'string' ? body : '{}');
          else {
            p.body = body;
            p.headers.push(['content-type', type]);
          }
          return op.body
            ? {
                expect: { statuses: [415], why: `a ${type} body where the route documents application/json` },
              }
            : {};
        });
    case 'method': {
      const at = (p: Parts) => methodsAt(spec, materialize(op, p).target.split('?')[0]!);
      return fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'PURGE'),
          fc.boolean(),
        )
        .map(([m, withBody]) => (p: Parts) => {
          const allowed = at(p);
          let method: string = m;
          if (allowed.has(method) || (method === 'HEAD' && allowed.has('GET')))
            method = ['PATCH', 'OPTIONS', 'PROPFIND', 'PURGE', 'PUT', 'DELETE'].find((x) => !allowed.has(x))!;
          p.method = method;
          if (withBody && method !== 'GET' && method !== 'HEAD') {
            p.body ??= '{}';
            if (!p.headers.some(([k]) => k === 'content-type'))
              p.headers.push(['content-type', 'application/json']);
          } else if (method === 'GET' || method === 'HEAD') delete p.body;
          // The runtime API answers OPTIONS as a CORS preflight (runtime/cors.test.ts), before auth.
          if (method === 'OPTIONS' && op.userJwt) return {};
          return { expect: { statuses: [405], why: `${method} is not a documented method of this path` } };
        });
    }
    case 'path-shape':
      return fc
        .constantFrom(
          (s: string) => `${s}/`,
          (s: string) => s.replace('/v1/', '/v1//'),
          (s: string) => s.toUpperCase(),
          (s: string) => `${s}/extra`,
          (s: string) => s.slice(0, s.lastIndexOf('/')),
          (s: string) => `${s};jsessionid=1`,
          (s: string) => s.replace(/\/([^/]*)$/, '%2F$1'),
          (s: string) => s.replace('/v1/', '/v1/./'),
          (s: string) => s.replace('/v1/', '/v1/x/../'),
          (s: string) => s.replace('/v1/', '/v1/%2e%2e/v1/'),
          (s: string) => `/${s}`,
          (s: string) => `${s}%00`,
          (s: string) => `${s}#frag`,
          (s: string) => s.replace(/^\/admin/, '/admin%2F..'),
        )
        .map((f) => (p: Parts) => {
          p.pathOverride = f(materialize(op, p).target.split('?')[0]!);
          return {};
        });
  }
}

/** Sets one query value; when the value breaks the documented schema, a 400 is expected. */
function setQuery(p: Parts, name: string, value: string, schema: JsonSchema): Omit<RouteCase, 'req'> {
  p.query = p.query.filter(([k]) => k !== name);
  p.query.push([name, value]);
  return { queryChecks: [{ name, schema }] };
}

const HEADER_VALUE = fc.oneof(
  fc.constantFrom(...SQLISH, 'r'.repeat(10_000), '', '  ', '{"a":1}', '$1'),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
);
const hostileHeader: fc.Arbitrary<[string, string]> = fc
  .tuple(
    fc.constantFrom(
      'x-request-id',
      'accept',
      'content-type',
      'cookie',
      'x-forwarded-for',
      'x-forwarded-host',
      'origin',
      'if-none-match',
      'range',
      'stripe-signature',
      'idempotency-key',
      'x-http-method-override',
      'accept-language',
      'x-fuzz',
    ),
    HEADER_VALUE,
  )
  .map(
    ([k, v]) => [k, v.replaceAll('\r', ' ').replaceAll('\n', ' ').replaceAll(NUL, ' ')] as [string, string],
  );

/** Bodies for routes that take one: hostile fields, wrong types, not JSON, too large. */
function bodyMutation(op: Operation): fc.Arbitrary<(p: Parts) => Omit<RouteCase, 'req'>> {
  const props = op.body?.schema.properties ?? {};
  const names = Object.keys(props);
  const required = op.body?.schema.required ?? [];
  // A one-field body is refused when it lacks another required field, or the field's type differs.
  const missingBesides = (name: string) => {
    const missing = required.filter((r) => r !== name);
    return missing.length > 0 ? `missing ${missing.join(', ')}` : null;
  };
  const wrongType = (s: JsonSchema, json: string) => {
    const types = s.type === undefined ? null : ([] as string[]).concat(s.type);
    if (types === null) return s.enum && json !== 'string' ? `not one of ${s.enum.join('|')}` : null;
    const ok = types.includes(json) || (json === 'number' && types.includes('integer'));
    return ok ? null : `a ${json} where the document says ${types.join('|')}`;
  };
  const withJson = (text: string | FuzzRequest['body'], invalid: string | null) => (p: Parts) => {
    p.body = text;
    p.headers = p.headers.filter(([k]) => k !== 'content-type');
    p.headers.push(['content-type', 'application/json']);
    return invalid && op.body ? { expect: { statuses: [400], why: invalid } } : {};
  };
  const arbs: Array<fc.Arbitrary<(p: Parts) => Omit<RouteCase, 'req'>>> = [
    // Not JSON at all, or JSON that is no object.
    fc
      .constantFrom(
        '{',
        '{"secretKey":',
        "{'secretKey':'sk_test_x'}",
        'secretKey=sk_test_x',
        NUL,
        '{"a":1}{"b":2}',
        '{"secretKey":"x",}',
        `{"secretKey":"${NUL}"}`,
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
      )
      .map((t) => withJson(t, 'the body is not a JSON object of the documented shape')),
    fc
      .constantFrom('null', '[]', '"x"', '1e400', 'true', '[{"secretKey":"sk_test_x"}]')
      .map((t) => withJson(t, 'the body is JSON but not an object')),
    fc.constant(withJson('', op.body?.required ? 'an empty body where one is required' : null)),
    fc.constant(withJson({ oversize: 1024 * 1024 + 10 }, null)).map((f) => (p: Parts) => {
      f(p);
      return { expect: { statuses: [413], why: 'a body over 1 MiB' } };
    }),
    // Unknown fields with hostile names and values: stripped or refused, never a 5xx.
    fc
      .dictionary(hostileText, fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 4 })
      .map((o) =>
        withJson(
          JSON.stringify(o),
          required.length > 0 && !required.every((r) => r in o) ? 'missing required field' : null,
        ),
      ),
  ];
  if (names.length > 0) {
    arbs.push(
      fc.tuple(fc.constantFrom(...names), hostileText).map(([name, v]) => {
        const s = props[name]!;
        const invalid =
          v.includes(NUL) || !isWellFormed(v)
            ? `${name} holds NUL or a lone surrogate`
            : s.maxLength !== undefined && v.length > s.maxLength
              ? `${name} longer than ${s.maxLength}`
              : s.minLength !== undefined && v.length < s.minLength
                ? `${name} shorter than ${s.minLength}`
                : (wrongType(s, 'string') ?? missingBesides(name));
        return withJson(JSON.stringify({ [name]: v }), invalid);
      }),
      fc
        .tuple(
          fc.constantFrom(...names),
          fc.oneof(
            fc.constantFrom(...RAW_NUMBERS).map((n) => ({ raw: n })),
            fc.constantFrom(true, null, [], {}, [LONE_HIGH], { nested: NUL }),
          ),
        )
        .map(([name, v]) => {
          const raw = typeof v === 'object' && v !== null && 'raw' in v;
          const text = raw
            ? jsonWithRawNumbers({ [name]: '@raw@' }, { '@raw@': String(v.raw) })
            : JSON.stringify({ [name]: v });
          const json = raw ? 'number' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
          return withJson(text, wrongType(props[name]!, json) ?? missingBesides(name));
        }),
      fc.constant(withJson('{}', required.length > 0 ? `missing ${required.join(', ')}` : null)),
      fc
        .tuple(fc.constantFrom(...names), fc.integer({ min: 2_000, max: 900_000 }))
        .map(([name, n]) =>
          withJson(
            JSON.stringify({ [name]: `sk_test_${'a'.repeat(n)}` }),
            wrongType(props[name]!, 'string') ?? `${name} of ${n} characters`,
          ),
        ),
      fc
        .constantFrom(...names)
        .map((name) =>
          withJson(`{"${name}":"sk_test_a","${name}":"x\\u0000"}`, `duplicate ${name}, the last with NUL`),
        ),
    );
  }
  return fc.oneof(...arbs);
}

export function caseArbitrary(
  spec: Spec,
  op: Operation,
  kind: Kind,
  auth: Auth,
  fx: Fixtures,
): fc.Arbitrary<RouteCase> {
  return fc.tuple(baseline(spec, op, auth, fx), mutation(op, kind, spec, fx)).map(([parts, mutate]) => {
    const p: Parts = { ...parts, query: [...parts.query], headers: [...parts.headers] };
    const extra = mutate(p);
    return { req: materialize(op, p), ...extra };
  });
}
