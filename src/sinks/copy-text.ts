/**
 * Rows as PostgreSQL's COPY text format: columns split by tabs, rows ended by newlines, and a backslash, tab,
 * newline or carriage return inside a value written as its backslash escape. Text cannot hold U+0000 at all,
 * so a value with one is refused here rather than by the server mid-copy (records with it are quarantined
 * before they reach a PostgreSQL sink, see record-admission.ts).
 */

const SPECIAL = /[\\\t\n\r\u0000]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escaped(char: string): string {
  const escape = ESCAPES[char];
  if (escape === undefined) throw new Error('PostgreSQL text cannot hold U+0000; the value was not copied');
  return escape;
}

export function copyText(rows: string[][]): string {
  let text = '';
  for (const row of rows) text += `${row.map((value) => value.replace(SPECIAL, escaped)).join('\t')}\n`;
  return text;
}
