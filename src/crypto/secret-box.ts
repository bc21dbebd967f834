/**
 * Encryption of stored secrets (Stripe keys, webhook signing secrets) with AES-256-GCM via
 * WebCrypto.
 *
 * PAYWIRE_ENCRYPTION_KEY holds one or more versioned keys: "v2:<base64>,v1:<base64>" (a bare
 * "<base64>" is version 1). The FIRST key encrypts; any listed key decrypts, so rotation is:
 * prepend a new key, re-encrypt (POST /admin/v1/encryption/rotate), then drop the old one.
 *
 * Ciphertext: "v<version>.<iv base64url>.<ciphertext+tag base64url>", random 96-bit IV, and
 * additional authenticated data naming the slot (e.g. "connections:test:secret_key") so a
 * ciphertext copied into another slot fails to decrypt instead of yielding the wrong secret.
 */
import { AppError } from '../errors';

export interface Keyring {
  active: number;
  keys: Map<number, CryptoKey>;
}

const KEY_ENTRY = /^(?:v(\d+):)?([A-Za-z0-9+/=_-]+)$/;
const keyringCache = new Map<string, Promise<Keyring>>();

export function loadKeyring(config: string | undefined): Promise<Keyring> {
  if (!config) {
    return Promise.reject(new AppError('NOT_CONFIGURED', 'PAYWIRE_ENCRYPTION_KEY is not set'));
  }
  let cached = keyringCache.get(config);
  if (!cached) {
    cached = importKeyring(config);
    keyringCache.set(config, cached);
    cached.catch(() => keyringCache.delete(config));
  }
  return cached;
}

/**
 * The versioned keys of a PAYWIRE_ENCRYPTION_KEY value, checked without importing them (the
 * config schema uses this to name a malformed key before any request needs it).
 */
export function parseKeyringSpec(config: string): {
  active: number;
  entries: Map<number, Uint8Array<ArrayBuffer>>;
} {
  const entries = new Map<number, Uint8Array<ArrayBuffer>>();
  let active: number | undefined;
  for (const raw of config
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = KEY_ENTRY.exec(raw);
    const bytes = m ? decodeBase64(m[2]!) : undefined;
    if (!m || !bytes || bytes.length !== 32) {
      throw new AppError(
        'NOT_CONFIGURED',
        'PAYWIRE_ENCRYPTION_KEY must be base64 of 32 bytes, optionally versioned as "v2:<key>,v1:<key>"',
      );
    }
    const version = m[1] ? Number(m[1]) : 1;
    if (entries.has(version))
      throw new AppError('NOT_CONFIGURED', `PAYWIRE_ENCRYPTION_KEY lists v${version} twice`);
    entries.set(version, bytes);
    active ??= version;
  }
  if (active === undefined) throw new AppError('NOT_CONFIGURED', 'PAYWIRE_ENCRYPTION_KEY is empty');
  return { active, entries };
}

async function importKeyring(config: string): Promise<Keyring> {
  const { active, entries } = parseKeyringSpec(config);
  const keys = new Map<number, CryptoKey>();
  for (const [version, bytes] of entries) {
    keys.set(version, await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']));
  }
  return { active, keys };
}

export async function encryptSecret(keyring: Keyring, plaintext: string, slot: string): Promise<string> {
  const key = keyring.keys.get(keyring.active)!;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(slot) },
    key,
    new TextEncoder().encode(plaintext),
  );
  return `v${keyring.active}.${encodeBase64Url(iv)}.${encodeBase64Url(new Uint8Array(ct))}`;
}

export async function decryptSecret(keyring: Keyring, ciphertext: string, slot: string): Promise<string> {
  const parts = ciphertext.split('.');
  const version = parts[0]?.startsWith('v') ? Number(parts[0].slice(1)) : Number.NaN;
  if (parts.length !== 3 || !Number.isInteger(version)) {
    throw new AppError('INTERNAL', `Stored secret (${slot}) is malformed`);
  }
  const key = keyring.keys.get(version);
  if (!key) {
    throw new AppError(
      'NOT_CONFIGURED',
      `Stored secret (${slot}) was encrypted with key v${version}, which PAYWIRE_ENCRYPTION_KEY no longer lists`,
    );
  }
  try {
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: decodeBase64(parts[1]!), additionalData: new TextEncoder().encode(slot) },
      key,
      decodeBase64(parts[2]!),
    );
    return new TextDecoder().decode(pt);
  } catch {
    // GCM authentication failed: tampered ciphertext, wrong slot or wrong key. Never return garbage.
    throw new AppError('INTERNAL', `Stored secret (${slot}) failed authentication (tampered or wrong key)`);
  }
}

/** The key version a ciphertext was written with (for rotation reporting). */
export function ciphertextVersion(ciphertext: string): number | undefined {
  const m = /^v(\d+)\./.exec(ciphertext);
  return m ? Number(m[1]) : undefined;
}

function encodeBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const normalized = text.replaceAll('-', '+').replaceAll('_', '/');
  const padded = normalized + '='.repeat((4 - (normalized.length % 4)) % 4);
  try {
    const bin = atob(padded);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array(0);
  }
}
