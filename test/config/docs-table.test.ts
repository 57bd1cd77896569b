import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { findOptionsTable, optionsMarkdown, withCurrentOptionsTable } from '../../src/config/options-doc.js';
import { optionsTable } from '../../src/config/options.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const DOC = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
const FIX = 'run `npm run docs:config` to rewrite the table from src/config';

/** option name -> default column, as docs/configuration.md states it. */
function documentedDefaults(markdown: string): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const line of findOptionsTable(markdown).text.split('\n')) {
    const m = /^\| `--([a-z0-9-]+)` \| [^|]* \| `([^`]*)` \|/.exec(line);
    if (m) defaults.set(m[1]!, m[2]!);
  }
  return defaults;
}

t.test('docs/configuration.md states each option with the default the code declares', async (t) => {
  const documented = documentedDefaults(DOC);
  const declared = optionsTable();
  t.same([...documented.keys()], declared.map((r) => r.name), `one row per option, in list order; ${FIX}`);
  for (const row of declared) t.equal(documented.get(row.name), row.default, `--${row.name} default; ${FIX}`);
});

t.test('docs/configuration.md holds the options table the option list renders', async (t) => {
  t.equal(findOptionsTable(DOC).text, optionsMarkdown(), FIX);
});

t.test('the table is found and replaced in place', async (t) => {
  const stale = ['# Title', '', '| option | environment | default | CONFIG SET | meaning |', '|---|---|---|---|---|', '| `--port` | `QKV_PORT` | `1` | yes | old |', '', 'After.', ''].join('\n');
  const current = withCurrentOptionsTable(stale);
  t.ok(current.startsWith('# Title\n\n| option |'));
  t.ok(current.endsWith('|\n\nAfter.\n'));
  t.equal(findOptionsTable(current).text, optionsMarkdown());
  t.equal(documentedDefaults(stale).get('port'), '1');
  t.equal(withCurrentOptionsTable(current), current, 'a current table is left as it is');
  t.throws(() => findOptionsTable('# no table\n'), /no options table/);
  const atEnd = withCurrentOptionsTable('# Title\n| option | environment | default | CONFIG SET | meaning |\n|---|---|---|---|---|\n| `--port` | x |');
  t.equal(atEnd, `# Title\n${optionsMarkdown()}`, 'a table that ends the file');
});

t.test('rows: access words and cells that hold a pipe', async (t) => {
  const rows = [
    { name: 'a', flag: '--a', type: 'int', default: '1', env: 'QKV_A', runtime: 'settable', doc: 'x | y' },
    { name: 'b', flag: '--b', type: 'int', default: '2', env: 'QKV_B', runtime: 'hidden', doc: 'z' },
  ] as const;
  const lines = optionsMarkdown(rows).split('\n');
  t.equal(lines[2], '| `--a` | `QKV_A` | `1` | yes | x \\| y |');
  t.equal(lines[3], '| `--b` | `QKV_B` | `2` | hidden | z |');
});
