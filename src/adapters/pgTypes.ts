/* How the PostgreSQL engine reads each column's text, by type oid. */

/** pg's own array parser, passed in once pg is loaded (pg is loaded only when PostgreSQL is used). */
export type ArrayParse = (source: string, transform: (v: string) => unknown) => unknown[];

const TEXT = (v: string) => v;
const NUMBER = (v: string) => Number(v);
const FLOAT = (v: string) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
};
const BOOL = (v: string) => v === 't';
/** Element parsers by array type oid; an element type not listed stays text. */
const ARRAY_ELEMENTS: Record<number, (v: string) => unknown> = {
  1000: BOOL, 1005: NUMBER, 1007: NUMBER, 1016: TEXT, 1021: FLOAT, 1022: FLOAT, 1231: TEXT, 1009: TEXT, 1015: TEXT, 1014: TEXT,
  1182: TEXT, 1115: TEXT, 1185: TEXT, 1183: TEXT, 1187: TEXT, 2951: TEXT, 199: TEXT, 3807: TEXT,
};

/**
 * Values as the other engines render them: exact integers beyond 32 bits and decimals as strings,
 * dates and times as PostgreSQL's ISO text (never a JavaScript Date, which would shift them),
 * booleans, finite floats as numbers, arrays as arrays; anything else as its text.
 */
export function typeParser(oid: number, arrayParse: ArrayParse | undefined): (value: string) => unknown {
  switch (oid) {
    case 16: return BOOL;
    case 21: case 23: case 26: return NUMBER;
    case 700: case 701: return FLOAT;
    default: {
      const element = ARRAY_ELEMENTS[oid];
      if (element && arrayParse) return (v: string) => arrayParse(v, (x) => (x === null ? null : element(x)));
      return TEXT;
    }
  }
}
