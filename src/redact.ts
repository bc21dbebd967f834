/**
 * Secrets must never reach a response, a log line or an error message. Everything that prints
 * text from outside (Stripe/Postgres error messages, request data) goes through `redact`.
 */
const SECRET_PATTERNS: RegExp[] = [
  /\b(sk|rk)_(test|live)_[A-Za-z0-9_]+/g,
  /\bwhsec_[A-Za-z0-9_]+/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, p1: string | undefined, p2: string | undefined) => {
      if (match.startsWith('postgres')) return `${p1 ?? ''}***@`;
      if (/^bearer/i.test(match)) return 'Bearer ***';
      if (match.startsWith('whsec_')) return 'whsec_***';
      return maskSecret(match, p1, p2);
    });
  }
  return out;
}

/** `sk_test_…abcd`: the kind, the environment and the last four characters. */
export function maskSecret(key: string, kind?: string, environment?: string): string {
  const m = /^(sk|rk)_(test|live)_/.exec(key);
  const prefix = m ? `${m[1]}_${m[2]}_` : kind && environment ? `${kind}_${environment}_` : '';
  return `${prefix}…${key.slice(-4)}`;
}
