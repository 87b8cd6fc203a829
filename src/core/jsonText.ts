/**
 * The text of a value read from JSON or a database row whose type the compiler cannot know: a
 * string as it is, a scalar as JavaScript prints it, absent as the fallback, and anything else as
 * JSON, so that two different objects never print alike as "[object Object]".
 */
export function jsonText(v: unknown, fallback = ''): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return fallback;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? fallback;
}
