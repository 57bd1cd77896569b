import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withCurrentOptionsTable } from '../src/config/options-doc.js';

/** Rewrites the options table of docs/configuration.md from the option list in src/config. */
const path = resolve(fileURLToPath(new URL('../docs/configuration.md', import.meta.url)));
const before = readFileSync(path, 'utf8');
const after = withCurrentOptionsTable(before);
if (after !== before) writeFileSync(path, after);
process.stdout.write(after === before ? 'docs/configuration.md: options table already current\n' : 'docs/configuration.md: options table rewritten\n');
