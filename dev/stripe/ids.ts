import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string, the character set Stripe ids use. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: skip the tail so every character is equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** Deterministic base62 string derived from a seed (used for the default, printable keys). */
export function deterministicBase62(seed: string, length: number): string {
  let out = '';
  let counter = 0;
  while (out.length < length) {
    const digest = createHash('sha256').update(`${seed}:${counter++}`).digest();
    for (const byte of digest) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/**
 * Id shapes follow Stripe's: a type prefix and a random base62 body. Lengths mirror what real
 * objects use (short 14-char bodies for customers/products/items, 24 for most others).
 */
const ID_SHAPES = {
  customer: ['cus', 14],
  product: ['prod', 14],
  price: ['price', 24],
  subscription: ['sub', 24],
  subscription_item: ['si', 14],
  invoice: ['in', 24],
  invoice_line_item: ['il', 24],
  invoice_payment: ['inpay', 24],
  invoice_item: ['ii', 24],
  payment_intent: ['pi', 24],
  charge: ['ch', 24],
  refund: ['re', 24],
  payment_method: ['pm', 24],
  balance_transaction: ['txn', 24],
  event: ['evt', 24],
  webhook_endpoint: ['we', 24],
  billing_portal_session: ['bps', 24],
  billing_portal_configuration: ['bpc', 24],
  line_item: ['li', 24],
  promotion_code: ['promo', 24],
  discount: ['di', 24],
  request: ['req', 14],
  delivery: ['whdel', 24],
  fault: ['fault', 10],
} as const satisfies Record<string, readonly [string, number]>;

export type IdKind = keyof typeof ID_SHAPES;

export function newId(kind: IdKind): string {
  const [prefix, length] = ID_SHAPES[kind];
  return `${prefix}_${randomBase62(length)}`;
}

/** Checkout session ids carry the mode: `cs_test_…` / `cs_live_…` with a long body. */
export function newCheckoutSessionId(livemode: boolean): string {
  return `cs_${livemode ? 'live' : 'test'}_${randomBase62(58)}`;
}

export function newClientSecret(id: string): string {
  return `${id}_secret_${randomBase62(24)}`;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBase62(32)}`;
}

/** Maps an id prefix back to the object type it names (used by `expand`). */
export const PREFIX_TO_OBJECT: Record<string, string> = {
  cus: 'customer',
  prod: 'product',
  price: 'price',
  sub: 'subscription',
  si: 'subscription_item',
  in: 'invoice',
  inpay: 'invoice_payment',
  ii: 'invoiceitem',
  pi: 'payment_intent',
  ch: 'charge',
  re: 'refund',
  pm: 'payment_method',
  txn: 'balance_transaction',
  evt: 'event',
  we: 'webhook_endpoint',
  cs: 'checkout.session',
  bps: 'billing_portal.session',
  bpc: 'billing_portal.configuration',
  promo: 'promotion_code',
  di: 'discount',
};

export function objectTypeForId(id: string): string | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  return PREFIX_TO_OBJECT[prefix];
}
