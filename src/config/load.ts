import { QkvError } from '../core/errors.js';
import { parseConfigFile, type FileEntry } from './config-file.js';
import { checkNodeConfig, toNodeConfig, type NodeConfig } from './node-config.js';
import { OPTIONS, envName, findOption, optionNames, type AnyOption } from './options.js';
import { ValueError, parseBool } from './values.js';

/**
 * Loads the node's options. Precedence, highest first: command-line flags,
 * environment variables (QKV_<NAME>), the config file (--config or
 * QKV_CONFIG), the defaults. Every error is a QkvError('ERR', ...) whose
 * message names the option, the bad value and what is expected; the CLI
 * prints it and exits with status 2.
 */
export type ReadFile = (path: string) => string;
export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(argv: readonly string[], env: Env, readFile: ReadFile): NodeConfig {
  const flags = parseFlags(argv);
  const fromEnv = parseEnv(env);
  const configPath = (flags.has('config') ? flags.get('config') : fromEnv.get('config')) as string | null | undefined;
  const fromFile = configPath ? parseFileValues(configPath, readFile) : new Map<string, unknown>();
  const values = new Map([...fromFile, ...fromEnv, ...flags]);
  values.set('config', configPath ?? null);
  const config = toNodeConfig(values);
  const problem = checkNodeConfig(config);
  if (problem) throw fail(`--${problem.name}`, problem.why);
  return config;
}

function fail(where: string, why: string): QkvError {
  return new QkvError('ERR', `${where}: ${why}`);
}

/** Parses with the option's parser; a bad value becomes "<where>: expected ..., got ...". */
function parseAt(where: string, parse: () => unknown): unknown {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ValueError) throw fail(where, e.message);
    throw e;
  }
}

/** `--name value`, `--name=value`; a bool flag may stand alone (`--sync` = yes) or take a yes/no/true/false/1/0 after it. */
export function parseFlags(argv: readonly string[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg.length === 2) {
      throw new QkvError('ERR', `unexpected argument '${arg}': options are written --name value or --name=value`);
    }
    const eq = arg.indexOf('=');
    const written = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const opt = findOption(written);
    if (!opt) throw new QkvError('ERR', unknownOption(`--${written}`, written));
    const where = `--${opt.name}`;
    let text: string;
    if (eq >= 0) {
      text = arg.slice(eq + 1);
    } else if (opt.type === 'bool') {
      const next = argv[i + 1];
      if (next !== undefined && parseBool(next) !== undefined) {
        text = next;
        i++;
      } else {
        text = 'yes';
      }
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw fail(where, `expected a value (${opt.expected})`);
      text = next;
      i++;
    }
    values.set(opt.name, parseAt(where, () => opt.parse(text)));
  }
  return values;
}

/** QKV_<NAME> for every option; unset and empty variables are ignored, and so are unknown QKV_ names. */
export function parseEnv(env: Env): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const opt of OPTIONS) {
    const name = envName(opt.name);
    const text = env[name];
    if (text === undefined || text === '') continue;
    values.set(opt.name, parseAt(name, () => opt.parse(text)));
  }
  return values;
}

function parseFileValues(path: string, readFile: ReadFile): Map<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw fail('--config', `cannot read '${path}': ${(e as Error).message}`);
  }
  const values = new Map<string, unknown>();
  for (const entry of parseConfigFile(path, text)) {
    const parsed = fileValue(entry);
    if (parsed) values.set(parsed[0], parsed[1]);
  }
  return values;
}

/** 'maxValueBytes' and 'MAX-VALUE-BYTES' -> 'max-value-bytes'. */
function canonicalKey(key: string): string {
  return /[a-z]/.test(key) ? key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) : key.toLowerCase();
}

function fileValue(entry: FileEntry): [string, unknown] | undefined {
  const opt: AnyOption | undefined = findOption(canonicalKey(entry.key));
  if (!opt) throw new QkvError('ERR', `${entry.where}: ${unknownOption(`'${entry.key}'`, canonicalKey(entry.key))}`);
  const where = `${entry.where}: ${entry.key}`;
  if (opt.name === 'config') throw fail(where, 'a config file cannot name another config file');
  if (entry.kind === 'json') {
    if (entry.value === null) return undefined; // JSON null: keep the default
    return [opt.name, parseAt(where, () => opt.fromJson(entry.value))];
  }
  const tokens = entry.tokens;
  if (opt.type === 'hostport-list') return [opt.name, parseAt(where, () => opt.parse(tokens.join(',')))];
  if (tokens.length !== 1) throw fail(where, `expected one value (${opt.expected}), got ${tokens.length}`);
  return [opt.name, parseAt(where, () => opt.parse(tokens[0]!))];
}

/** "unknown option --prot; did you mean --port?" */
function unknownOption(written: string, name: string): string {
  const near = closest(name.toLowerCase());
  return `unknown option ${written}${near ? `; did you mean ${written.startsWith('--') ? '--' : ''}${near}?` : ''}`;
}

function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of optionNames()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
