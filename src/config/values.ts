import { isIP } from 'node:net';

/**
 * Parsers for the option value types. Each option is one OptionSpec: how its
 * text (flag, environment, config file, CONFIG SET) and JSON forms parse, how
 * its value prints (CONFIG GET, docs), and what a valid value looks like.
 *
 * One rule for booleans: every source accepts yes/no, true/false and 1/0 (any
 * case); CONFIG GET and the docs always print yes/no, as Redis prints every
 * boolean parameter, so tools that parse CONFIG GET output keep working.
 */
export type OptionType = 'string' | 'int' | 'bool' | 'enum' | 'size' | 'hostport-list' | 'dc-count-list';

/** settable: CONFIG SET changes it and CONFIG GET shows it; read-only: CONFIG GET only; hidden: neither. */
export type RuntimeAccess = 'settable' | 'read-only' | 'hidden';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A value that does not parse; the message reads "expected <what>, got '<text>'". */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

export interface OptionSpec<T> {
  /** kebab-case, as on the command line and in config files. */
  readonly name: string;
  readonly type: OptionType;
  readonly default: T;
  /** The default as the docs show it when it is computed or clearer in words. */
  readonly defaultDoc?: string;
  /** One line for the docs table. */
  readonly doc: string;
  readonly runtime: RuntimeAccess;
  /** What a valid value looks like, e.g. "an integer from 0 to 65535". */
  readonly expected: string;
  parse(text: string): T;
  fromJson(value: unknown): T;
  format(value: T): string;
}

/** Common fields every builder takes. */
export interface OptionInfo {
  readonly name: string;
  readonly doc: string;
  readonly runtime: RuntimeAccess;
  readonly defaultDoc?: string;
}

export function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 64 ? value.slice(0, 64) + '...' : value}'`;
  return JSON.stringify(value) ?? String(value);
}

function bad(expected: string, got: unknown): never {
  throw new ValueError(`expected ${expected}, got ${shown(got)}`);
}

function badSecret(expected: string, got: string): never {
  throw new ValueError(`expected ${expected}, got a value of ${Buffer.byteLength(got)} bytes`);
}

const INT_RE = /^[+-]?\d+$/;

function checkInt(v: number, min: number, max: number, expected: string, got: unknown): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) bad(expected, got);
  return v;
}

function intParser(expected: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const s = text.trim();
    if (!INT_RE.test(s)) bad(expected, text);
    return checkInt(Number(s), min, max, expected, text);
  };
}

export function intOption(info: OptionInfo & { default: number; min: number; max: number }): OptionSpec<number> {
  const { min, max, ...rest } = info;
  const expected = `an integer from ${min} to ${max}`;
  const parse = intParser(expected, min, max);
  return {
    ...rest,
    type: 'int',
    expected,
    parse,
    fromJson: (v) => (typeof v === 'number' ? checkInt(v, min, max, expected, v) : typeof v === 'string' ? parse(v) : bad(expected, v)),
    format: (v) => String(v),
  };
}

const OFF_WORDS = new Set(['', 'off', 'none']);

/** An integer that may be absent (null); '', 'off' and 'none' mean absent. */
export function optionalIntOption(info: OptionInfo & { min: number; max: number }): OptionSpec<number | null> {
  const { min, max, ...rest } = info;
  const expected = `an integer from ${min} to ${max}, or 'off'`;
  const parseInt = intParser(expected, min, max);
  const parse = (text: string): number | null => (OFF_WORDS.has(text.trim().toLowerCase()) ? null : parseInt(text));
  return {
    ...rest,
    type: 'int',
    default: null,
    expected,
    parse,
    fromJson: (v) => (v === null || v === false ? null : typeof v === 'number' ? checkInt(v, min, max, expected, v) : typeof v === 'string' ? parse(v) : bad(expected, v)),
    format: (v) => (v === null ? '' : String(v)),
  };
}

const SIZE_RE = /^(\d+)(k|kb|m|mb|g|gb)?$/i;
// Redis's memtoull: k/m/g are powers of 1000, kb/mb/gb powers of 1024.
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** Bytes as Redis writes them: a number, or with a unit (64kb, 512mb, 1gb). */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The shortest exact Redis spelling of a byte count: 1gb, 256mb, 64kb or plain bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

export function sizeOption(info: OptionInfo & { default: number; min: number; max: number }): OptionSpec<number> {
  const { min, max, ...rest } = info;
  const expected = `a size from ${formatSize(min)} to ${formatSize(max)} (bytes, or with a unit: 64kb, 512mb, 1gb)`;
  const parse = (text: string): number => {
    const v = parseSize(text);
    if (v === undefined) bad(expected, text);
    return checkInt(v, min, max, expected, text);
  };
  return {
    ...rest,
    type: 'size',
    expected,
    parse,
    fromJson: (v) => (typeof v === 'number' ? checkInt(v, min, max, expected, v) : typeof v === 'string' ? parse(v) : bad(expected, v)),
    // CONFIG GET prints sizes as plain bytes, as Redis does.
    format: (v) => String(v),
  };
}

const TRUE_WORDS = new Set(['yes', 'true', '1']);
const FALSE_WORDS = new Set(['no', 'false', '0']);

export function parseBool(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  return TRUE_WORDS.has(s) ? true : FALSE_WORDS.has(s) ? false : undefined;
}

export function boolOption(info: OptionInfo & { default: boolean }): OptionSpec<boolean> {
  const expected = 'yes or no (also true/false, 1/0)';
  const parse = (text: string): boolean => parseBool(text) ?? bad(expected, text);
  return {
    ...info,
    type: 'bool',
    expected,
    parse,
    fromJson: (v) => (typeof v === 'boolean' ? v : typeof v === 'string' ? parse(v) : v === 1 || v === 0 ? v === 1 : bad(expected, v)),
    format: (v) => (v ? 'yes' : 'no'),
  };
}

export function enumOption<E extends string>(info: OptionInfo & { default: E; values: readonly E[] }): OptionSpec<E> {
  const expected = `one of ${info.values.join(', ')}`;
  const parse = (text: string): E => {
    const s = text.trim().toLowerCase();
    return info.values.find((v) => v === s) ?? bad(expected, text);
  };
  const { values: _values, ...rest } = info;
  return { ...rest, type: 'enum', expected, parse, fromJson: (v) => (typeof v === 'string' ? parse(v) : bad(expected, v)), format: (v) => v };
}

/** A string that must match a rule (check returns true when valid). */
export function stringOption(info: OptionInfo & { default: string; expected: string; check: (s: string) => boolean }): OptionSpec<string> {
  const parse = (text: string): string => (info.check(text) ? text : bad(info.expected, text));
  const { check: _check, ...rest } = info;
  return { ...rest, type: 'string', parse, fromJson: (v) => (typeof v === 'string' ? parse(v) : bad(info.expected, v)), format: (v) => v };
}

/** A string that may be absent (null); the empty string means absent. */
/** secret: a refused value is described by its length, never echoed (passwords must not reach logs or replies). */
export function optionalStringOption(info: OptionInfo & { expected: string; check: (s: string) => boolean; secret?: boolean }): OptionSpec<string | null> {
  const parse = (text: string): string | null =>
    text === '' ? null : info.check(text) ? text : info.secret ? badSecret(info.expected, text) : bad(info.expected, text);
  const { check: _check, secret: _secret, ...rest } = info;
  return {
    ...rest,
    type: 'string',
    default: null,
    parse,
    fromJson: (v) => (v === null ? null : typeof v === 'string' ? parse(v) : info.secret ? badSecret(info.expected, JSON.stringify(v) ?? '') : bad(info.expected, v)),
    format: (v) => v ?? '',
  };
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

/** An IPv4/IPv6 address or a DNS host name. */
export function isHost(s: string): boolean {
  return isIP(s) !== 0 || (s.length <= 253 && HOST_RE.test(s));
}

/** host:port, or [ipv6]:port; port 1-65535 (a peer to dial cannot be port 0). */
export function parseHostPort(text: string): HostPort | undefined {
  const s = text.trim();
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:\s]+):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  if (s.startsWith('[') ? isIP(host) !== 6 : !isHost(host)) return undefined;
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

export function hostPortListOption(info: OptionInfo): OptionSpec<readonly HostPort[]> {
  const expected = 'a comma-separated list of host:port';
  const one = (item: string, whole: unknown): HostPort => parseHostPort(item) ?? bad(`${expected} (bad entry ${shown(item.trim())})`, whole);
  const parse = (text: string): readonly HostPort[] =>
    Object.freeze(
      text
        .split(',')
        .filter((item) => item.trim() !== '')
        .map((item) => one(item, text)),
    );
  return {
    ...info,
    type: 'hostport-list',
    default: Object.freeze([]),
    expected,
    parse,
    fromJson: (v) => {
      if (typeof v === 'string') return parse(v);
      if (Array.isArray(v) && v.every((item) => typeof item === 'string')) return Object.freeze(v.map((item: string) => one(item, v)));
      return bad(expected, v);
    },
    format: (v) => v.map(formatHostPort).join(','),
  };
}
