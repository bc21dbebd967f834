/**
 * The invariants every fuzz response must hold, whatever was sent: no 5xx while the
 * dependencies are up; every error in the documented shape with a code the document lists for
 * that route and status; every response as the document declares it (support/openapi-conformance.ts); no SQL, bind parameter, database error text or secret in the status
 * line, headers or body. Text that merely echoes what the request carried is not a leak.
 */

import { checkConformance } from '../support/openapi-conformance';
import { operationFor, type Spec } from '../support/openapi-spec';
import { type Exchange, requestText } from './exchange';

export interface Violation {
  /** the invariant that broke: the first half of a failure class */
  check: string;
  detail: string;
}

const TABLES =
  'connections|webhook_events|products|prices|customers|customer_mappings|checkout_sessions|portal_sessions|subscriptions|subscription_items|payment_history|sync_runs|audit_log|outbox';

const SQL_PATTERNS: Array<[string, RegExp]> = [
  ['SQL statement', /\b(select|insert|update|delete)\b[\s\S]{0,300}?\b(from|into|set)\b/gi],
  ['bind parameter', /\$\d+\b/g],
  ['query parameters', /\bparams:/gi],
  ['drizzle query', /\bfailed query\b/gi],
  ['table name', new RegExp(`\\bpaywire"?\\."?(${TABLES})\\b`, 'gi')],
  [
    'Postgres error text',
    /\b(sqlstate|syntax error at or near|violates (unique|check|not-null|foreign key) constraint|invalid input syntax for|out of range for type|unsupported unicode escape sequence|invalid byte sequence for encoding|date\/time field value out of range|invalid input value for enum)\b/gi,
  ],
];

/** Routes whose successful answers are SQL text: the fulfillment recipes (GET/POST /admin/v1/recipes…). */
const SQL_CONTENT_PATHS = /^\/admin\/v1\/recipes(\/|$)/;

const SECRET_SHAPES = [/\b(sk|rk)_(test|live)_[A-Za-z0-9]{10,}/g, /\bwhsec_[A-Za-z0-9]{10,}/g];

export interface CheckContext {
  spec: Spec;
  /** exact secret values that must never appear in a response */
  secrets: string[];
  /** error code → the statuses the document gives it, for requests that reach no documented route */
  codeStatuses: Map<string, Set<number>>;
}

export function codeStatusesOf(spec: Spec): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const op of spec.operations)
    for (const [status, codes] of op.errors)
      for (const code of codes ?? []) out.set(code, new Set([...(out.get(code) ?? []), status]));
  return out;
}

export function checkResponse(ctx: CheckContext, ex: Exchange): Violation[] {
  const out: Violation[] = [];
  const method = ex.req.method.toUpperCase();
  if (ex.status >= 500) out.push({ check: 'status >= 500', detail: `answered ${ex.status}` });
  if (ex.status >= 400 && method !== 'HEAD') out.push(...checkErrorBody(ctx, ex));
  // The shared conformance hook of support/worker.ts: status declared, body valid against its schema.
  if (
    !out.some((v) => v.check === 'status not documented' || v.check === 'error not in the documented shape')
  ) {
    const { problem } = checkConformance(ctx.spec, {
      method,
      pathname: ex.url.pathname,
      status: ex.status,
      contentType: ex.headers.get('content-type'),
      text: ex.text,
    });
    if (problem) out.push({ check: 'response breaks /openapi.json', detail: problem });
  }
  if (ex.status === 405 && !ex.headers.get('allow'))
    out.push({ check: '405 without Allow', detail: 'a 405 must say which methods the path takes' });

  const echoed = requestText(ex.req);
  const seen = `${ex.status}\n${[...ex.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${ex.text}`;
  // The recipe routes answer SQL (and name Paywire's tables) by design, in their 2xx bodies.
  const sqlIsTheContent = ex.status < 300 && SQL_CONTENT_PATHS.test(ex.url.pathname);
  for (const [what, pattern] of sqlIsTheContent ? [] : SQL_PATTERNS) {
    for (const m of seen.matchAll(pattern)) {
      if (echoed.includes(m[0].toLowerCase())) continue;
      out.push({
        check: 'SQL or database error text in response',
        detail: `${what}: ${JSON.stringify(excerpt(seen, m.index, m[0]))}`,
      });
      break;
    }
  }
  for (const secret of ctx.secrets) {
    if (seen.includes(secret))
      out.push({
        check: 'secret in response',
        detail: `a configured secret (${secret.slice(0, 6)}…) was returned`,
      });
  }
  for (const shape of SECRET_SHAPES) {
    for (const m of seen.matchAll(shape)) {
      if (echoed.includes(m[0].toLowerCase())) continue;
      out.push({ check: 'secret in response', detail: `a ${m[0].slice(0, 6)}… value was returned` });
      break;
    }
  }
  return out;
}

function excerpt(text: string, index: number | undefined, match: string): string {
  const at = index ?? 0;
  return text.slice(Math.max(0, at - 60), at + match.length + 60);
}

function checkErrorBody(ctx: CheckContext, ex: Exchange): Violation[] {
  const json = ex.json as { error?: Record<string, unknown> } | null;
  const error = json && typeof json === 'object' && !Array.isArray(json) ? json.error : undefined;
  const shapeOk =
    error !== undefined &&
    error !== null &&
    typeof error === 'object' &&
    Object.keys(json as object).length === 1 &&
    typeof error.code === 'string' &&
    typeof error.message === 'string' &&
    typeof error.requestId === 'string' &&
    error.requestId.length > 0 &&
    Object.keys(error).every((k) => ['code', 'message', 'requestId', 'details'].includes(k));
  if (!shapeOk)
    return [
      { check: 'error not in the documented shape', detail: `body ${JSON.stringify(ex.text.slice(0, 200))}` },
    ];
  const code = error!.code as string;
  const op = operationFor(ctx.spec, ex.req.method.toUpperCase(), ex.url.pathname);
  if (op) {
    if (!op.errors.has(ex.status))
      return [
        {
          check: 'status not documented',
          detail: `${ex.status} ${code} is not in the responses of ${op.label}`,
        },
      ];
    const codes = op.errors.get(ex.status);
    if (codes && !codes.has(code))
      return [
        {
          check: 'code not documented',
          detail: `${ex.status} ${code}: ${op.label} documents ${[...codes].join(', ')} for ${ex.status}`,
        },
      ];
    return [];
  }
  // No documented route: a code of the document, with a status the document gives it.
  const statuses = ctx.codeStatuses.get(code);
  const generic =
    (ex.status === 404 && code === 'NOT_FOUND') || (ex.status === 405 && code === 'METHOD_NOT_ALLOWED');
  if (!ctx.spec.allCodes.has(code) || (!generic && !statuses?.has(ex.status)))
    return [
      { check: 'code not documented', detail: `${ex.status} ${code} (no documented route for this request)` },
    ];
  return [];
}

/** Rows per table that changed between two counts, as "table +n". */
export function rowDelta(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after)
    .filter((t) => after[t] !== before[t])
    .map((t) => `${t} ${after[t]! - (before[t] ?? 0) >= 0 ? '+' : ''}${after[t]! - (before[t] ?? 0)}`);
}
