import { UNSTORABLE_TEXT } from '../../db/storable';
import type { StripeEventLike } from '../projection/stripe-object';

/**
 * The strict shape check of a (validly signed) Stripe event, and whether Postgres can store it.
 * A body that fails either is still recorded (as `failed`, with the reason and its raw text),
 * never dropped: see recordMalformedEvent.
 */
export type Envelope =
  | { ok: true; event: StripeEventLike }
  | {
      ok: false;
      reason: string;
      /** what could be read of it, for the record (id, type, created, livemode) */
      partial: Partial<Pick<StripeEventLike, 'id' | 'type' | 'created' | 'livemode' | 'api_version'>>;
      /** the parsed body when it is JSON Postgres can hold as jsonb */
      storable: unknown | null;
    };

/** Stripe's event ids and types are short ASCII; anything else is not from Stripe. */
const EVENT_ID = /^evt_[A-Za-z0-9_]{1,250}$/;
const EVENT_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+){1,5}$/;
/** 2000-01-01 .. 9999-12-31: an event's `created` (unix seconds) outside it is implausible. */
const MIN_CREATED = 946_684_800;
const MAX_CREATED = 253_402_300_799;
const API_VERSION = /^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z_]+)?$/;

/** The raw JSON escapes that decode to such text (a cheap pre-check before walking the object). */
const UNSTORABLE_ESCAPE = /\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/**
 * Numbers JavaScript cannot hold exactly (integers beyond 2^53, exponent forms): an event that
 * has them keeps its raw body beside the jsonb, so what Stripe signed is stored digit for digit.
 * (Matches inside strings too; a false positive only stores the body once more.)
 */
const INEXACT_NUMBER = /\d{16,}|\d[eE][+-]?\d/;

export function needsRawBody(rawBody: string): boolean {
  return INEXACT_NUMBER.test(rawBody);
}

export function parseEnvelope(rawBody: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return { ok: false, reason: 'the body is not JSON', partial: {}, storable: null };
  }
  const storable = !UNSTORABLE_ESCAPE.test(rawBody) || !containsUnstorableText(parsed);
  return checkEnvelope(parsed, storable);
}

/** The shape check alone, for an event already parsed (a stored payload being retried). */
export function checkEnvelope(value: unknown, storable = !containsUnstorableText(value)): Envelope {
  const e = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<
    string,
    unknown
  >;
  const partial = {
    id: typeof e.id === 'string' && EVENT_ID.test(e.id) ? e.id : undefined,
    type: typeof e.type === 'string' && EVENT_TYPE.test(e.type) ? e.type : undefined,
    created:
      Number.isSafeInteger(e.created) &&
      (e.created as number) >= MIN_CREATED &&
      (e.created as number) <= MAX_CREATED
        ? (e.created as number)
        : undefined,
    livemode: typeof e.livemode === 'boolean' ? e.livemode : undefined,
    api_version:
      typeof e.api_version === 'string' && API_VERSION.test(e.api_version) ? e.api_version : undefined,
  };
  const data = e.data as Record<string, unknown> | undefined;
  const object = data && typeof data === 'object' && !Array.isArray(data) ? data.object : undefined;
  const problem =
    value === null || typeof value !== 'object' || Array.isArray(value)
      ? 'the body is not a JSON object'
      : partial.id === undefined
        ? 'id is missing or not a Stripe event id (evt_…, at most 254 characters)'
        : partial.type === undefined
          ? 'type is missing or not an event type (e.g. invoice.paid)'
          : partial.created === undefined
            ? 'created is missing or not a plausible unix time in seconds'
            : partial.livemode === undefined
              ? 'livemode is missing or not a boolean'
              : e.api_version != null && partial.api_version === undefined
                ? 'api_version is not a Stripe API version'
                : !object || typeof object !== 'object' || Array.isArray(object)
                  ? 'data.object is missing or not an object'
                  : !storable
                    ? 'the event holds text Postgres cannot store (a NUL character or an unpaired surrogate)'
                    : null;
  if (problem === null) return { ok: true, event: value as StripeEventLike };
  return { ok: false, reason: problem, partial, storable: storable ? value : null };
}

function containsUnstorableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE_TEXT.test(value);
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => containsUnstorableText(v, depth + 1));
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE_TEXT.test(key) || containsUnstorableText(v, depth + 1)) return true;
  }
  return false;
}
