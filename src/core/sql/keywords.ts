/** The first keyword of a statement, skipping what SQL skips: space, comments and parentheses. */
export function firstKeyword(sql: string): string {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s|\(/.test(c)) i++;
    else if (sql.startsWith('--', i)) i = sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i) + 1;
    else if (sql.startsWith('/*', i)) i = sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else break;
  }
  return /^[A-Za-z_]+/.exec(sql.slice(i))?.[0]?.toUpperCase() ?? '';
}
