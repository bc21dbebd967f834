import { toHex } from '../../crypto/hex';

/**
 * `Paywire-Signature: t=<unix>,v1=<hex>`: HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's
 * secret, exactly Stripe's webhook scheme (the SDK's verifyPaywireSignature checks it).
 */
export async function paywireSignature(secret: string, body: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${timestamp}.${body}`));
  return `t=${timestamp},v1=${toHex(mac)}`;
}
