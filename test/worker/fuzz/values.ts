/**
 * Hostile values shared by the route and webhook generators: text Postgres cannot hold (NUL,
 * lone surrogates), numbers beyond int8 or not numbers at all, dates outside any sane range,
 * forged cursors, SQL-looking text; and the encoders that put them on the wire unchanged.
 */
import fc from 'fast-check';

export const NUL = '\u0000';
export const LONE_HIGH = '\uD800';
export const LONE_LOW = '\uDC00';

/** No unpaired UTF-16 surrogate (String#isWellFormed, which the worker types do not declare yet). */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export const SQLISH = [
  "' or '1'='1",
  "1' or 1=1 --",
  "'; drop table paywire.connections; --",
  'select * from pg_user',
  "x') union select null, current_user --",
  '$1',
  '%',
  '_',
  '\\',
  '"',
  "'",
  ';',
];

const TEXT_CONSTANTS = [
  '',
  ' ',
  NUL,
  `a${NUL}b`,
  `evt_${NUL}`,
  LONE_HIGH,
  LONE_LOW,
  `x${LONE_HIGH}y`,
  `${LONE_LOW}${LONE_HIGH}`,
  '😀',
  '\u202Eevil',
  '\uFEFFbom',
  '\uFFFF',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'NaN',
  '-infinity',
  '../../etc/passwd',
  '%00',
  '%zz',
  '{"a":1}',
  '[]',
  'a'.repeat(256),
  'b'.repeat(2001),
  ...SQLISH,
];

/** Numbers as text: beyond int8, beyond double, signed zero, not numbers. */
export const NUMBER_TEXT = [
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999999999',
  '1e400',
  '-1e400',
  '1e308',
  '1e2',
  '-0',
  '0',
  '-1',
  '1.5',
  '0.0000001',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  ' 5',
  '',
  '4294967296',
  '2147483648',
  '1,000',
  '５',
];

/** Timestamps outside Postgres's range (or any sane one), or not timestamps. `invalid` = must be refused. */
export const DATE_TEXT: Array<{ value: string; invalid: boolean }> = [
  { value: '0000-01-01T00:00:00Z', invalid: true },
  { value: '-000001-01-01T00:00:00Z', invalid: true },
  { value: '+099999-01-01T00:00:00Z', invalid: true },
  { value: '99999-01-01T00:00:00Z', invalid: true },
  { value: '10000-01-01T00:00:00Z', invalid: true },
  { value: '294277-01-01T00:00:00Z', invalid: true },
  { value: '-infinity', invalid: true },
  { value: 'infinity', invalid: true },
  { value: 'epoch', invalid: true },
  { value: 'now', invalid: true },
  { value: 'today', invalid: true },
  { value: '4714-11-24 00:00:00 BC', invalid: true },
  { value: '2026-02-30T00:00:00Z', invalid: true },
  { value: '2026-13-01T00:00:00Z', invalid: true },
  { value: '2026-01-01T25:00:00Z', invalid: true },
  { value: '2026-01-01T00:00:00+25:00', invalid: true },
  { value: '2026-01-01', invalid: true },
  { value: '2026-01-01T00:00:00', invalid: true },
  { value: '1e400', invalid: true },
  { value: '-1', invalid: true },
  { value: '', invalid: true },
  { value: `2026-01-01T00:00:00Z${NUL}`, invalid: true },
  { value: "2026-01-01T00:00:00Z' or '1'='1", invalid: true },
  // In range: no expectation beyond "not a 5xx".
  { value: '9999-12-31T23:59:59.999Z', invalid: false },
  { value: '1970-01-01T00:00:00Z', invalid: false },
  { value: '1899-12-31T23:59:59Z', invalid: false },
  { value: '2026-01-01T00:00:00.123456789Z', invalid: false },
];

/** Any text, weighted towards the values that break things. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...TEXT_CONSTANTS), weight: 5 },
  { arbitrary: fc.constantFrom(...NUMBER_TEXT), weight: 1 },
  { arbitrary: fc.constantFrom(...DATE_TEXT.map((d) => d.value)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  {
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(NUL, LONE_HIGH, LONE_LOW, "'", '%'), fc.string({ maxLength: 6 })), {
        maxLength: 8,
      })
      .map((parts) => parts.join('')),
    weight: 2,
  },
);

/** Text that still looks like a Stripe id of `prefix` but carries something hostile. */
export const nearId = (prefix: string): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(`${prefix}_`, `${prefix}`, `${prefix.toUpperCase()}_`), hostileText)
    .map(([p, t]) => `${p}${t}`);

export function base64url(bytes: Uint8Array | string): string {
  const raw = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let binary = '';
  for (const b of raw) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function base64Utf8(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Forged cursors. `invalid` ones can name no row (wrong fields, dates out of range, ids of no
 * shape, not base64 JSON at all) and must be refused as a 400; the others are well-formed and
 * only have to be answered without a 5xx.
 */
export function forgedCursor(
  realCursors: string[],
): fc.Arbitrary<{ value: string; invalid: boolean; how: string }> {
  const json = (o: unknown, how: string, invalid = true) => ({
    value: base64url(JSON.stringify(o)),
    invalid,
    how,
  });
  const at = '2026-01-01T00:00:00.000Z';
  const uuid = '00000000-0000-4000-8000-000000000000';
  const fixed = [
    json({}, 'json {}'),
    json(null, 'json null'),
    json([at, '1'], 'json array'),
    json('x', 'json string'),
    json({ a: 1, b: 2 }, 'wrong fields'),
    json({ createdAt: at }, 'no id'),
    json({ id: '1' }, 'no createdAt'),
    json({ createdAt: 1767225600000, id: '1' }, 'createdAt a number'),
    json({ createdAt: at, id: 1 }, 'id a number'),
    json({ createdAt: '0000-01-01T00:00:00.000Z', id: '1' }, 'year 0'),
    json({ createdAt: '+099999-01-01T00:00:00.000Z', id: '1' }, 'year 99999'),
    json({ createdAt: '-infinity', id: '1' }, '-infinity'),
    json({ createdAt: 'epoch', id: uuid }, 'epoch'),
    json({ createdAt: '2026-02-30T00:00:00.000Z', id: uuid }, 'Feb 30'),
    json({ createdAt: at, id: '9223372036854775808' }, 'id beyond int8'),
    json({ createdAt: at, id: '-1' }, 'negative id'),
    json({ createdAt: at, id: "1' or '1'='1" }, 'SQL in id'),
    json({ createdAt: `${at}' or '1'='1`, id: '1' }, 'SQL in createdAt'),
    json({ createdAt: at, id: `1${NUL}` }, 'NUL in id'),
    json({ createdAt: at, id: LONE_HIGH }, 'lone surrogate in id'),
    json({ createdAt: at, id: 'x'.repeat(100) }, 'long id'),
    { value: '', invalid: true, how: 'empty' },
    { value: 'A', invalid: true, how: 'one character' },
    { value: 'x'.repeat(201), invalid: true, how: 'over 200 characters' },
    { value: "1' OR '1'='1", invalid: true, how: 'SQL text' },
    { value: 'select * from paywire.connections', invalid: true, how: 'SQL text' },
    { value: `eyJ${NUL}`, invalid: true, how: 'NUL' },
    { value: 'eyJjcmVhdGVkQXQiOiIy', invalid: true, how: 'truncated JSON' },
    // Well-formed: either shape of id, in range. Accepted or refused, never a 5xx.
    json({ createdAt: at, id: '1' }, 'well-formed bigserial', false),
    json({ createdAt: at, id: uuid }, 'well-formed uuid', false),
  ];
  const arbs: Array<fc.Arbitrary<{ value: string; invalid: boolean; how: string }>> = [
    fc.constantFrom(...fixed),
    fc
      .uint8Array({ minLength: 1, maxLength: 60 })
      .map((b) => ({ value: base64url(b), invalid: !looksLikeJsonCursor(b), how: 'random base64url' })),
    fc
      .record({ createdAt: hostileText, id: hostileText })
      .map((o) => ({ value: base64url(JSON.stringify(o)), invalid: true, how: 'json with hostile fields' })),
  ];
  if (realCursors.length > 0) {
    arbs.push(
      fc
        .tuple(fc.constantFrom(...realCursors), fc.nat(), fc.constantFrom('truncate', 'flip', 'append'))
        .map(([c, n, op]) => {
          const i = n % c.length;
          const value =
            op === 'truncate'
              ? c.slice(0, i)
              : op === 'append'
                ? `${c}A`
                : `${c.slice(0, i)}${c[i] === 'A' ? 'B' : 'A'}${c.slice(i + 1)}`;
          // A mutated real cursor may still decode to a well-formed one: no expectation.
          return { value, invalid: value === '', how: `real cursor, ${op}` };
        }),
    );
  }
  return fc.oneof(...arbs);
}

function looksLikeJsonCursor(bytes: Uint8Array): boolean {
  try {
    const o = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
    return o !== null && typeof o === 'object';
  } catch {
    return false;
  }
}

/**
 * Percent-encodes text exactly: a lone surrogate becomes its (invalid) three UTF-8-style bytes
 * (%ED%A0%80), which is what a hostile client can send; everything else as encodeURIComponent.
 */
export function encodeExact(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += encodeURIComponent(text.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
      continue;
    }
    out += encodeURIComponent(text[i]!);
  }
  return out;
}

/** JSON text with raw number literals JSON.stringify cannot write (1e400, -0, beyond int8). */
export function jsonWithRawNumbers(value: unknown, raw: Record<string, string>): string {
  let text = JSON.stringify(value);
  for (const [marker, literal] of Object.entries(raw)) text = text.replace(JSON.stringify(marker), literal);
  return text;
}

export const RAW_NUMBERS = [
  '9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999999999',
  '1e400',
  '-1e400',
  '-0',
  '1.5',
  '1e-400',
  '0.1e1',
];
