import { createHmac } from 'node:crypto';

/** Hex HMAC-SHA256 of `${timestamp}.${payload}` keyed with the whole `whsec_…` string, as Stripe signs. */
export function computeSignature(payload: string, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
}

/**
 * `Stripe-Signature` header value: `t=<unix seconds>,v1=<hex>`. In test mode Stripe also sends a
 * `v0` signature made with a different key; receivers must only trust `v1`, so we send one too.
 */
export function signatureHeader(
  payload: string,
  secret: string,
  timestamp: number,
  livemode: boolean,
): string {
  const v1 = computeSignature(payload, secret, timestamp);
  if (livemode) return `t=${timestamp},v1=${v1}`;
  const v0 = computeSignature(payload, `${secret}:v0`, timestamp);
  return `t=${timestamp},v1=${v1},v0=${v0}`;
}
