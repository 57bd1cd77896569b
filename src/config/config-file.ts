import { QkvError } from '../core/errors.js';

/**
 * Config files, in two formats: redis.conf style (`name value` per line,
 * whole-line `#` comments, values quoted as Redis quotes them) and JSON (an
 * object of option names to values), chosen by the .json extension.
 */
export type FileEntry = ConfEntry | JsonEntry;

interface EntryBase {
  /** The key as written (kebab-case, or camelCase in JSON). */
  readonly key: string;
  /** Where it was written, for error messages: "path:line" or "path". */
  readonly where: string;
}

export interface ConfEntry extends EntryBase {
  readonly kind: 'conf';
  /** The arguments after the key. */
  readonly tokens: readonly string[];
}

export interface JsonEntry extends EntryBase {
  readonly kind: 'json';
  readonly value: unknown;
}

export function isJsonPath(path: string): boolean {
  return path.toLowerCase().endsWith('.json');
}

export function parseConfigFile(path: string, text: string): FileEntry[] {
  return isJsonPath(path) ? parseJsonConfig(path, text) : parseConfConfig(path, text);
}

export function parseConfConfig(path: string, text: string): ConfEntry[] {
  const entries: ConfEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    const tokens = splitArgs(line);
    // Only the option name is shown: the value may be a password.
    if (tokens === undefined) throw new QkvError('ERR', `${where}: unbalanced quotes in the value of '${line.split(/\s/)[0]}'`);
    const [key, ...rest] = tokens as [string, ...string[]];
    entries.push({ kind: 'conf', key, tokens: rest, where });
  });
  return entries;
}

export function parseJsonConfig(path: string, text: string): JsonEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new QkvError('ERR', `${path}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new QkvError('ERR', `${path}: expected a JSON object of option names to values`);
  }
  return Object.entries(doc).map(([key, value]): JsonEntry => ({ kind: 'json', key, value, where: path }));
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * Splits a line into arguments much as Redis's sdssplitargs does: spaces
 * separate, "double quotes" take \n \r \t \b \a \xHH and \<char> escapes,
 * 'single quotes' take only \'. A quote opens quoting only at the start of an
 * argument (so a bare pa"ss stays as written) and a closing quote must end it.
 * Undefined on unbalanced or misplaced quotes.
 */
export function splitArgs(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) return out;
    let cur = '';
    let quote: '"' | "'" | null = null;
    for (;;) {
      if (i >= n) {
        if (quote) return undefined; // unterminated quotes
        break;
      }
      const c = line[i]!;
      if (quote === '"') {
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if (c === '\\' && i + 1 < n) {
          const e = line[i + 1]!;
          cur += ESCAPES[e] ?? e;
          i += 2;
          continue;
        }
        if (c === '"') {
          i++;
          if (i < n && !/\s/.test(line[i]!)) return undefined; // closing quote must be followed by a space
          break;
        }
        cur += c;
        i++;
      } else if (quote === "'") {
        if (c === '\\' && line[i + 1] === "'") {
          cur += "'";
          i += 2;
          continue;
        }
        if (c === "'") {
          i++;
          if (i < n && !/\s/.test(line[i]!)) return undefined;
          break;
        }
        cur += c;
        i++;
      } else {
        if (/\s/.test(c)) break;
        if ((c === '"' || c === "'") && cur === '') {
          quote = c;
          i++;
          continue;
        }
        cur += c;
        i++;
      }
    }
    out.push(cur);
  }
}
