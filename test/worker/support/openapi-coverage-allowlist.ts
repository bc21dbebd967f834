/**
 * (operation, status) pairs of /openapi.json the coverage check (openapi-coverage-check.ts)
 * does not require a test to reach, each with why no test can provoke it. Keep this short: a
 * status a test can provoke gets a test (test/worker/foundation/status-coverage.test.ts), not
 * an entry. Entries naming one operation are reported when a test does reach them.
 */

export interface Excuse {
  /** "METHOD /path" as in the document, or '*' for every operation */
  operation: string;
  status: number;
  /**
   * Only pairs whose documented error codes are all among these (the codes come with the
   * declared pairs): a wildcard must not excuse a status that also carries a provokable code.
   */
  onlyCodes?: string[];
  why: string;
}

export const UNREACHABLE: Excuse[] = [
  {
    operation: '*',
    status: 500,
    onlyCodes: ['INTERNAL'],
    why:
      'INTERNAL is what app.onError answers for an exception that is not an AppError, i.e. a bug. ' +
      'Every route documents it (src/http/openapi.ts ALWAYS), but no request provokes it in correct code. ' +
      'Where stored state can provoke it (a tampered encrypted secret: admin/connection.test.ts, ' +
      'admin/encryption.test.ts) the tests do reach it.',
  },
];

/** The entry excusing `pair` ("METHOD /path status"), given the codes its status documents. */
export function excusedBy(pair: string, codes: string[] | null): { why: string; wildcard: boolean } | null {
  const at = pair.lastIndexOf(' ');
  const operation = pair.slice(0, at);
  const status = Number(pair.slice(at + 1));
  for (const e of UNREACHABLE) {
    if (e.status !== status || (e.operation !== '*' && e.operation !== operation)) continue;
    if (e.onlyCodes && (codes === null || !codes.every((c) => e.onlyCodes!.includes(c)))) continue;
    return { why: e.why, wildcard: e.operation === '*' };
  }
  return null;
}
