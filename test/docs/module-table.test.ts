import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * docs/architecture.md says its module table is enforced by
 * .dependency-cruiser.cjs; this keeps the two saying the same thing: the same
 * modules, and for each the same modules it may import.
 */
const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

interface Rule {
  readonly name: string;
  readonly from: { readonly path?: string };
  readonly to: { readonly path?: string };
}

/** What a module may import: a list of module names ('resp' for resp/), or 'anything'. */
type MayImport = readonly string[] | 'anything';

/** The "may import" column of each row of the module table, by module name ('core', 'resp'). */
function docsTable(markdown: string): Map<string, MayImport> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Modules and what each may import'));
  if (section === undefined) throw new Error("docs/architecture.md has no '## Modules and what each may import' section");
  const table = new Map<string, MayImport>();
  for (const line of section.split('\n')) {
    const cells = /^\|\s*`(src\/[a-z]+|resp\/)`\s*\|[^|]*\|\s*([^|]*?)\s*\|$/.exec(line);
    if (!cells) continue;
    table.set(moduleName(cells[1]!), parseMayImport(cells[2]!));
  }
  return table;
}

function moduleName(text: string): string {
  return text === 'resp/' ? 'resp' : text.replace(/^src\//, '');
}

function parseMayImport(text: string): MayImport {
  if (text === 'anything') return 'anything';
  if (text === 'nothing' || text === 'nothing from `src/`') return [];
  return text.split(',').map((s) => moduleName(s.trim().replace(/`/g, ''))).sort();
}

/** The same map, read from the rules dependency-cruiser enforces. */
function rulesTable(rules: readonly Rule[]): Map<string, MayImport> {
  const table = new Map<string, MayImport>();
  const respUsers = /^\^src\/\(\?!\(([a-z|]+)\)\/\)$/.exec(ruleNamed(rules, 'resp-only-for-commands-and-server').from.path ?? '');
  if (!respUsers) throw new Error('resp-only-for-commands-and-server: unexpected from.path');
  const mayUseResp = respUsers[1]!.split('|');
  for (const rule of rules) {
    const mod = /^boundary-([a-z]+)$/.exec(rule.name)?.[1];
    if (mod === undefined) continue;
    const ok = /^\^src\/\(\?!\(([a-z|]+)\)\/\)$/.exec(rule.to.path ?? '');
    if (!ok) throw new Error(`${rule.name}: unexpected to.path ${rule.to.path}`);
    const deps = ok[1]!.split('|').filter((d) => d !== mod);
    table.set(mod, [...deps, ...(mayUseResp.includes(mod) ? ['resp'] : [])].sort());
  }
  // No boundary rule: src/server may import anything; resp/ imports nothing from src/.
  if (!mayUseResp.includes('server')) throw new Error('rules keep src/server from resp/');
  table.set('server', 'anything');
  ruleNamed(rules, 'resp-stands-alone');
  table.set('resp', []);
  return table;
}

function ruleNamed(rules: readonly Rule[], name: string): Rule {
  const rule = rules.find((r) => r.name === name);
  if (!rule) throw new Error(`.dependency-cruiser.cjs has no rule '${name}'`);
  return rule;
}

const rules = (createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as { forbidden: Rule[] }).forbidden;
const docs = docsTable(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));

t.test('the table and the rules list the same modules, which are the modules there are', async (t) => {
  const sorted = (m: Map<string, MayImport>): string[] => [...m.keys()].sort();
  const onDisk = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  t.same(sorted(docs), [...onDisk, 'resp'].sort(), 'docs/architecture.md: one row per src/ module, and resp/');
  t.same(sorted(rulesTable(rules)), sorted(docs), '.dependency-cruiser.cjs: a boundary rule per module the table limits');
});

t.test('each module may import the same modules in the table as in the rules', async (t) => {
  const enforced = rulesTable(rules);
  for (const [mod, allowed] of docs) t.same(allowed, enforced.get(mod), `${mod}: docs vs rules`);
});

t.test('the rules the prose names exist', async (t) => {
  for (const name of ['no-circular', 'resp-stands-alone', 'only-server-builds-the-node']) t.ok(rules.some((r) => r.name === name), name);
});

t.test('the table is parsed as written', async (t) => {
  const parsed = docsTable(
    ['## Modules and what each may import', '| module | responsibility | may import |', '|---|---|---|', '| `src/a` | x | nothing |', '| `src/b` | y | a, `resp/` |', '| `resp/` | z | nothing from `src/` |', '| `src/s` | w | anything |'].join('\n'),
  );
  t.same([...parsed], [
    ['a', []],
    ['b', ['a', 'resp']],
    ['resp', []],
    ['s', 'anything'],
  ]);
});
