/**
 * Defensive readers for Stripe payloads. Shapes change across API versions (and events carry
 * whatever version the endpoint is pinned to), so projections read fields through these and
 * keep the raw object next to the columns.
 */
export type StripeObject = Record<string, unknown>;

export interface StripeEventLike {
  id: string;
  object?: string;
  type: string;
  created: number;
  livemode: boolean;
  api_version?: string | null;
  data: { object: StripeObject; previous_attributes?: StripeObject };
}

export function str(o: StripeObject | undefined, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function num(o: StripeObject | undefined, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function bool(o: StripeObject | undefined, key: string): boolean | null {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : null;
}

export function obj(o: StripeObject | undefined, key: string): StripeObject | undefined {
  const v = o?.[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as StripeObject) : undefined;
}

/** An expandable field: either an id string or the expanded object. */
export function idOf(o: StripeObject | undefined, key: string): string | null {
  const v = o?.[key];
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (v && typeof v === 'object') return str(v as StripeObject, 'id');
  return null;
}

/** A Stripe list (`{ object: 'list', data: [...] }`) or a bare array. */
export function listData(o: StripeObject | undefined, key: string): StripeObject[] {
  const v = o?.[key];
  if (Array.isArray(v)) return v as StripeObject[];
  const data = (v as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? (data as StripeObject[]) : [];
}

export function listIsComplete(o: StripeObject | undefined, key: string): boolean {
  const v = o?.[key] as { has_more?: unknown } | undefined;
  return Array.isArray(v) || v?.has_more === false;
}

export function metadataOf(o: StripeObject | undefined): Record<string, string> {
  const m = obj(o, 'metadata');
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Stripe timestamps are unix seconds. */
export function toDate(seconds: number | null): Date | null {
  return seconds == null ? null : new Date(seconds * 1000);
}
