import { optionsTable, type OptionRow } from './options.js';
import type { RuntimeAccess } from './values.js';

/**
 * The options table of docs/configuration.md, rendered from the option list so
 * the docs cannot keep a default, a CONFIG SET access or a meaning the code no
 * longer has (`npm run docs:config` rewrites it; a test compares).
 */
const CONFIG_SET_COLUMN: Record<RuntimeAccess, string> = { settable: 'yes', 'read-only': 'read-only', hidden: 'hidden' };

export const OPTIONS_TABLE_HEADER = '| option | environment | default | CONFIG SET | meaning |';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** One markdown row per option, under the header and its rule. */
export function optionsMarkdown(rows: readonly OptionRow[] = optionsTable()): string {
  const body = rows.map((r) => `| \`${r.flag}\` | \`${r.env}\` | \`${cell(r.default)}\` | ${CONFIG_SET_COLUMN[r.runtime]} | ${cell(r.doc)} |`);
  return [OPTIONS_TABLE_HEADER, '|---|---|---|---|---|', ...body].join('\n');
}

/** The options table as the markdown holds it: from its header to the last row. */
export function findOptionsTable(markdown: string): { readonly start: number; readonly end: number; readonly text: string } {
  const start = markdown.indexOf(`\n${OPTIONS_TABLE_HEADER}\n`);
  if (start < 0) throw new Error(`no options table (a line '${OPTIONS_TABLE_HEADER}')`);
  const after = markdown.slice(start + 1);
  const rows = after.split('\n');
  const count = rows.findIndex((line) => !line.startsWith('|'));
  const text = (count < 0 ? rows : rows.slice(0, count)).join('\n');
  return { start: start + 1, end: start + 1 + text.length, text };
}

/** The markdown with its options table replaced by the one the option list gives. */
export function withCurrentOptionsTable(markdown: string): string {
  const { start, end } = findOptionsTable(markdown);
  return markdown.slice(0, start) + optionsMarkdown() + markdown.slice(end);
}
