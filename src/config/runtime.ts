import { QkvError } from '../core/errors.js';
import { globMatchText } from '../core/glob.js';
import { checkNodeConfig, toNodeConfig, toOptionValues, type NodeConfig } from './node-config.js';
import { OPTIONS, OPTION_ALIASES, findOption, type AnyOption } from './options.js';
import { REDIS_COMPAT_PARAMS, type CompatParam } from './redis-compat.js';
import { ValueError } from './values.js';
import { expandClassSyntax } from './output-limits.js';

/** One CONFIG parameter as the command layer sees it (set is absent when read-only). */
export interface RuntimeParam {
  readonly name: string;
  get(): string;
  set?(value: string): void;
}

export type ChangeListener = (config: NodeConfig) => void;

/** Redis 7's CONFIG SET error texts (the text after '-ERR '). */
export const unknownParameter = (name: string): string => `Unknown option or number of arguments for CONFIG SET - '${name}'`;
export const setFailed = (name: string, why: string): string => `CONFIG SET failed (possibly related to argument '${name}') - ${why}`;

const COMPAT = new Map<string, CompatParam>(REDIS_COMPAT_PARAMS.map((p) => [p.name, p]));
const VISIBLE = OPTIONS.filter((o) => o.runtime !== 'hidden');
const ALIASES = [...OPTION_ALIASES.keys()].filter((alias) => findOption(alias)!.runtime !== 'hidden');
const NAMES = [...VISIBLE.map((o) => o.name), ...ALIASES, ...COMPAT.keys()].sort();

function visibleOption(name: string): AnyOption | undefined {
  const opt = findOption(name);
  return opt && opt.runtime !== 'hidden' ? opt : undefined;
}

/** client-output-buffer-limit in Redis's class syntax stands for the class options it names. */
function expandOutputLimit(name: string, text: string): Array<readonly [string, string]> {
  if (name.toLowerCase() !== 'client-output-buffer-limit') return [[name, text]];
  try {
    return expandClassSyntax(text) ?? [[name, text]];
  } catch (e) {
    throw failed(name, (e as ValueError).message);
  }
}

function failed(name: string, why: string): QkvError {
  return new QkvError('ERR', setFailed(name, why));
}

/**
 * The live view of the node's settings behind CONFIG GET and CONFIG SET.
 * Settable options change here and listeners apply them; read-only options
 * and the Redis compatibility parameters are shown but fixed; hidden
 * options (cluster-secret, config) are neither shown nor settable. Names are
 * case-insensitive; values print as CONFIG GET prints them (bools yes/no,
 * sizes in bytes, absent values as '').
 */
export class RuntimeConfig {
  private config: NodeConfig;
  private readonly listeners = new Map<string, ChangeListener[]>();

  constructor(initial: NodeConfig) {
    this.config = initial;
  }

  /** The settings now, with every CONFIG SET so far applied. */
  current(): NodeConfig {
    return this.config;
  }

  get(name: string): string | undefined {
    const lname = name.toLowerCase();
    const opt = visibleOption(lname);
    if (opt) return opt.format(toOptionValues(this.config).get(opt.name));
    return COMPAT.get(lname)?.value(this.config);
  }

  /** Every parameter CONFIG GET can show, sorted. */
  names(): string[] {
    return [...NAMES];
  }

  /** [name, value] for every parameter matching any of the globs, each once, sorted by name. */
  matching(...globs: string[]): Array<[string, string]> {
    return NAMES.filter((n) => globs.some((g) => globMatchText(g, n))).map((n) => [n, this.get(n)!]);
  }

  set(name: string, value: string): void {
    this.setMany([[name, value]]);
  }

  /**
   * Sets several parameters at once, as Redis 7's CONFIG SET does: all are
   * checked first and either all apply or none does. Listeners run after the
   * change; if one throws, the old settings come back (listeners that already
   * ran are called again with them) and the error is reported.
   */
  setMany(given: ReadonlyArray<readonly [string, string]>): void {
    const pairs = given.flatMap(([name, text]) => expandOutputLimit(name, text));
    const values = toOptionValues(this.config);
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const [written, text] of pairs) {
      const lname = written.toLowerCase();
      if (seen.has(lname)) throw failed(written, 'duplicate parameter');
      seen.add(lname);
      const opt = visibleOption(lname);
      if (!opt) {
        const compat = COMPAT.get(lname);
        if (!compat) throw new QkvError('ERR', unknownParameter(written));
        if (text.toLowerCase() !== compat.value(this.config).toLowerCase()) throw failed(written, "can't set immutable config");
        continue;
      }
      let parsed: unknown;
      try {
        parsed = opt.parse(text);
      } catch (e) {
        if (opt.runtime !== 'settable') throw failed(written, "can't set immutable config");
        throw failed(written, (e as ValueError).message);
      }
      const now = values.get(opt.name);
      if (opt.format(parsed) === opt.format(now)) continue;
      if (opt.runtime !== 'settable') throw failed(written, "can't set immutable config");
      values.set(opt.name, parsed);
      changed.push(opt.name);
    }
    if (changed.length === 0) return;
    const next = toNodeConfig(values);
    const problem = checkNodeConfig(next);
    if (problem) {
      const culprit = [problem.name, ...problem.related].find((n) => changed.includes(n)) ?? changed[0]!;
      throw failed(culprit, problem.why);
    }
    this.apply(next, changed);
  }

  /** Calls fn with the new settings after each CONFIG SET that changes name. Returns a function that stops it. */
  onChange(name: string, fn: ChangeListener): () => void {
    const opt = findOption(name);
    if (!opt || opt.runtime !== 'settable') throw new QkvError('ERR', `'${name}' is not a setting CONFIG SET can change`);
    const list = this.listeners.get(opt.name) ?? [];
    list.push(fn);
    this.listeners.set(opt.name, list);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The parameters in the shape the command layer's CONFIG takes. */
  params(): RuntimeParam[] {
    return NAMES.map((name) => {
      const get = (): string => this.get(name)!;
      return visibleOption(name)?.runtime === 'settable' ? { name, get, set: (v: string) => this.set(name, v) } : { name, get };
    });
  }

  private apply(next: NodeConfig, changed: readonly string[]): void {
    const previous = this.config;
    this.config = next;
    const called: ChangeListener[] = [];
    try {
      for (const name of changed) {
        for (const fn of [...(this.listeners.get(name) ?? [])]) {
          called.push(fn);
          fn(next);
        }
      }
    } catch (e) {
      this.config = previous;
      for (const fn of called) {
        try {
          fn(previous);
        } catch {
          // Putting the old settings back is best effort; the first error is the one reported.
        }
      }
      throw failed(changed[0]!, e instanceof Error ? e.message : String(e));
    }
  }
}
