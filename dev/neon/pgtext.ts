/**
 * Postgres text format <-> JSON, the two conversions Neon's SQL-over-HTTP proxy does itself:
 * - parameters arrive as JSON values and are handed to Postgres as text;
 * - without `Neon-Raw-Text-Output: true`, result values are turned into JSON by type (bool, int2/4,
 *   float4/8, json/jsonb and arrays of those; everything else stays a string, int8 included).
 * The driver always asks for raw text, so the second path only matters to hand-written clients.
 */

/** One JSON parameter as the text Postgres receives (null stays SQL NULL). */
export function jsonParamToPgText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return jsonArrayToPgArray(value);
  // booleans, numbers and objects are passed as their JSON text (`true`, `42`, `{"a":1}`)
  return JSON.stringify(value);
}

/** A JSON array as a Postgres array literal: `[1,"a b",null]` → `{1,"a b",NULL}`. */
function jsonArrayToPgArray(items: unknown[]): string {
  const parts = items.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return jsonArrayToPgArray(item);
    if (typeof item === 'string') return quoteArrayElement(item);
    if (typeof item === 'object') return quoteArrayElement(JSON.stringify(item));
    return String(item);
  });
  return `{${parts.join(',')}}`;
}

function quoteArrayElement(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// ---- output: text → JSON -------------------------------------------------------------------

const BOOL = 16;
const INT2 = 21;
const INT4 = 23;
const FLOAT4 = 700;
const FLOAT8 = 701;
const JSON_OID = 114;
const JSONB = 3802;

/**
 * Built-in array type OIDs → element OID (and delimiter when not ','). Neon reads this from the
 * type's catalog entry; here the built-ins suffice (arrays of user types are passed as strings).
 */
const ARRAY_ELEMENT: Record<number, [elem: number, delim?: string]> = {
  1000: [BOOL],
  1001: [17],
  1002: [18],
  1003: [19],
  1005: [INT2],
  1007: [INT4],
  1009: [25],
  1014: [1042],
  1015: [1043],
  1016: [20],
  1020: [603, ';'],
  1021: [FLOAT4],
  1022: [FLOAT8],
  1028: [26],
  1115: [1114],
  1182: [1082],
  1183: [1083],
  1185: [1184],
  1187: [1186],
  1231: [1700],
  1270: [1266],
  199: [JSON_OID],
  2951: [2950],
  3807: [JSONB],
  651: [650],
  1040: [829],
  1041: [869],
};

/** A text value as the JSON Neon would put in a non-raw response. */
export function pgTextToJson(text: string, typeId: number): unknown {
  const array = ARRAY_ELEMENT[typeId];
  if (array) return parsePgArray(text, array[0], array[1] ?? ',');
  switch (typeId) {
    case BOOL:
      return text === 't';
    case INT2:
    case INT4:
      return Number.parseInt(text, 10);
    case FLOAT4:
    case FLOAT8: {
      const n = Number(text);
      // NaN and ±Infinity stay strings: JSON has no representation for them
      return Number.isFinite(n) ? n : text;
    }
    case JSON_OID:
    case JSONB:
      return JSON.parse(text);
    default:
      return text;
  }
}

/** Parses a Postgres array literal (optionally with `[l:u]=` bounds) into nested JSON arrays. */
function parsePgArray(text: string, elem: number, delim: string): unknown[] {
  let s = text;
  if (s.startsWith('[')) {
    const eq = s.indexOf('=');
    if (eq < 0) throw new Error('unbalanced array');
    s = s.slice(eq + 1);
  }
  let i = 0;
  const skipWs = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const parseArray = (): unknown[] => {
    skipWs();
    if (s[i] !== '{') throw new Error('unbalanced array');
    i++;
    const out: unknown[] = [];
    skipWs();
    if (s[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipWs();
      if (s[i] === '{') {
        out.push(parseArray());
      } else if (s[i] === '"') {
        i++;
        let v = '';
        for (;;) {
          const c = s[i];
          if (c === undefined) throw new Error('unbalanced quoted string');
          i++;
          if (c === '"') break;
          if (c === '\\') {
            const e = s[i];
            if (e === undefined) throw new Error('unbalanced quoted string');
            v += e;
            i++;
          } else v += c;
        }
        out.push(pgTextToJson(v, elem));
      } else {
        let end = i;
        while (end < s.length && s[end] !== delim && s[end] !== '}') end++;
        if (end >= s.length) throw new Error('unbalanced array');
        const item = s.slice(i, end).trim();
        i = end;
        out.push(item === 'NULL' ? null : pgTextToJson(item, elem));
      }
      skipWs();
      if (s[i] === delim) {
        i++;
        continue;
      }
      if (s[i] === '}') {
        i++;
        return out;
      }
      throw new Error('unbalanced array');
    }
  };
  const result = parseArray();
  skipWs();
  if (i !== s.length) throw new Error('unbalanced array');
  return result;
}
