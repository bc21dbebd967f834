import { z } from '@hono/zod-openapi';

/**
 * Text Postgres cannot hold in a text or jsonb value: NUL, and UTF-16 surrogates without their
 * pair (they have no UTF-8 form). Inputs are checked against this at the edge, so such input is
 * a 400 (or, for a signed Stripe event, a recorded failure), never a database error.
 */
// A string, not a literal: the pattern must name NUL, which lint forbids in regex literals.
// biome-ignore lint/complexity/useRegexLiterals: see above
export const UNSTORABLE_TEXT = new RegExp(
  '\\u0000|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]',
);

export function isStorableText(text: string): boolean {
  return !UNSTORABLE_TEXT.test(text);
}

/**
 * A string field of any input schema (routes and the services' own input): Postgres can store
 * it, and it is at most `max` characters. Such input is refused as a 400 at the edge.
 */
export const SafeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine(isStorableText, { message: 'must not contain NUL or unpaired surrogate characters' });
