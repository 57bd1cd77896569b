import { ValueError, formatSize, parseSize, type OptionInfo, type OptionSpec } from './values.js';

/**
 * Redis's client-output-buffer-limit classes. A class limit is three
 * numbers: a hard limit (bytes; past it the client is closed at once), a
 * soft limit and the seconds a client may stay past the soft limit; 0
 * turns a limit off. QuorumKV keeps the normal class as its plain-size
 * option (client-output-buffer-limit, a hard limit) and the pubsub class as
 * client-output-buffer-limit-pubsub; CONFIG SET with Redis's class syntax
 * sets both (expandClassSyntax).
 */
export interface ClassLimit {
  readonly hard: number;
  readonly soft: number;
  readonly softSeconds: number;
}

const MAX_BYTES = 64 * 1024 ** 3;
const EXPECTED = "three values: hard limit, soft limit (bytes, or with a unit: 32mb) and soft seconds, e.g. '32mb 8mb 60'";

/** Redis 7's texts for a class list that does not parse. */
export const WRONG_ARGUMENTS = 'Wrong number of arguments in buffer limit configuration.';
export const INVALID_CLASS = 'Invalid client class specified in buffer limit configuration.';
export const INVALID_VALUE = 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';

export function parseClassLimit(text: string): ClassLimit | undefined {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3) return undefined;
  const [hard, soft, seconds] = [parseSize(parts[0]!), parseSize(parts[1]!), /^\d+$/.test(parts[2]!) ? Number(parts[2]) : undefined];
  if (hard === undefined || soft === undefined || seconds === undefined) return undefined;
  if (hard > MAX_BYTES || soft > MAX_BYTES || seconds > 2 ** 31) return undefined;
  return { hard, soft, softSeconds: seconds };
}

export function formatClassLimit(l: ClassLimit): string {
  return `${l.hard} ${l.soft} ${l.softSeconds}`;
}

/** An option whose value is one class limit (CONFIG GET prints bytes, as Redis does). */
export function classLimitOption(info: OptionInfo & { default: ClassLimit }): OptionSpec<ClassLimit> {
  const parse = (text: string): ClassLimit => {
    const v = parseClassLimit(text);
    if (!v) throw new ValueError(`expected ${EXPECTED}, got '${text.slice(0, 64)}'`);
    return v;
  };
  return {
    ...info,
    defaultDoc: info.defaultDoc ?? `${formatSize(info.default.hard)} ${formatSize(info.default.soft)} ${info.default.softSeconds}`,
    type: 'string',
    expected: EXPECTED,
    parse,
    fromJson: (v) => (typeof v === 'string' ? parse(v) : parse(String(v))),
    format: formatClassLimit,
  };
}

/**
 * CONFIG SET client-output-buffer-limit in Redis's class syntax
 * ("normal 0 0 0 pubsub 32mb 8mb 60"): the option settings it stands for.
 * Null when the text is a plain size (the normal class's hard limit). The
 * replica class is checked and ignored: QuorumKV has no Redis replicas.
 */
export function expandClassSyntax(text: string): Array<[string, string]> | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 1) return null;
  if (parts.length % 4 !== 0) throw new ValueError(WRONG_ARGUMENTS);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < parts.length; i += 4) {
    const cls = parts[i]!.toLowerCase();
    const limit = parseClassLimit(parts.slice(i + 1, i + 4).join(' '));
    if (cls !== 'normal' && cls !== 'pubsub' && cls !== 'replica' && cls !== 'slave') throw new ValueError(INVALID_CLASS);
    if (!limit) throw new ValueError(INVALID_VALUE);
    if (cls === 'normal') out.push(['client-output-buffer-limit', String(limit.hard)]);
    if (cls === 'pubsub') out.push(['client-output-buffer-limit-pubsub', formatClassLimit(limit)]);
  }
  return out;
}
