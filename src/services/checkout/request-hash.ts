/** JSON with object keys sorted at every level: equal requests hash equal whatever their key order. */
import { sha256Hex } from '../../crypto/hex';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of a validated request: what an Idempotency-Key replay must match. */
export async function requestHash(request: unknown): Promise<string> {
  return sha256Hex(canonicalJson(request));
}
