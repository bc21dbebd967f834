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
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `t=${timestamp},v1=${hex}`;
}
