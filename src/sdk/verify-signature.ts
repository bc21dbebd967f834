/**
 * Verifying Paywire's hook deliveries in the app: `Paywire-Signature: t=<unix>,v1=<hex>`, the
 * HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint's signing secret (Stripe's scheme).
 * WebCrypto only: runs in Workers, Node 18+ and browsers.
 */

/** The message an endpoint receives (and GET /admin/v1/:env/outbox lists). Dedupe on `id`. */
export interface PaywireHookEnvelope {
  id: string;
  type: string;
  environment: string;
  /** unix seconds */
  created: number;
  subject: { type: string; id: string } | null;
  stripe_event_id: string | null;
  data: unknown;
}

export type SignatureErrorCode =
  | 'MISSING_SIGNATURE'
  | 'MALFORMED_SIGNATURE'
  | 'TIMESTAMP_OUT_OF_TOLERANCE'
  | 'SIGNATURE_MISMATCH'
  | 'INVALID_PAYLOAD';

export interface SignatureError {
  code: SignatureErrorCode;
  message: string;
}

export type VerifySignatureResult =
  | { data: PaywireHookEnvelope; error: undefined }
  | { data: undefined; error: SignatureError };

export interface VerifySignatureInput {
  /** the request body exactly as received (not re-serialized JSON) */
  payload: string;
  /** the Paywire-Signature header */
  header: string | null | undefined;
  /** the endpoint's signing secret (whsec_…); several while rotating */
  secret: string | readonly string[];
  /** how old (or far in the future) the timestamp may be, in seconds; default 300 */
  toleranceSeconds?: number;
  /** unix seconds now (tests) */
  now?: number;
}

const fail = (code: SignatureErrorCode, message: string): VerifySignatureResult => ({
  data: undefined,
  error: { code, message },
});

/**
 * Checks the signature and the timestamp, then parses the body. Any `v1=` of the header may
 * match any of the secrets. Never throws.
 */
export async function verifyPaywireSignature(input: VerifySignatureInput): Promise<VerifySignatureResult> {
  const { payload, header } = input;
  if (!header) return fail('MISSING_SIGNATURE', 'No Paywire-Signature header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) continue;
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0)
    return fail('MALFORMED_SIGNATURE', 'Paywire-Signature needs t=<unix seconds> and at least one v1=<hex>');
  const tolerance = input.toleranceSeconds ?? 300;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (tolerance > 0 && Math.abs(now - timestamp) > tolerance)
    return fail('TIMESTAMP_OUT_OF_TOLERANCE', `The signature timestamp is more than ${tolerance} s from now`);

  const secrets = typeof input.secret === 'string' ? [input.secret] : [...input.secret];
  const signed = `${timestamp}.${payload}`;
  let matched = false;
  for (const secret of secrets) {
    const expected = await hmacSha256(secret, signed);
    // Every candidate is compared in full (no early exit), so timing says nothing about which matched.
    for (const candidate of signatures) if (constantTimeEqual(expected, hexBytes(candidate))) matched = true;
  }
  if (!matched) return fail('SIGNATURE_MISMATCH', 'No v1 signature matches the body with the given secret');

  let data: unknown;
  try {
    data = JSON.parse(payload);
  } catch {
    return fail('INVALID_PAYLOAD', 'The signed body is not JSON');
  }
  if (!isEnvelope(data)) return fail('INVALID_PAYLOAD', 'The signed body is not a Paywire message');
  return { data, error: undefined };
}

async function hmacSha256(secret: string, data: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(data)));
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function isEnvelope(value: unknown): value is PaywireHookEnvelope {
  const v = value as Partial<PaywireHookEnvelope> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.environment === 'string' &&
    typeof v.created === 'number'
  );
}
