import { ALL, EVICTED, EXPIRED, GENERIC, HASH, KEYEVENT, KEYSPACE, KEY_MISS, LIST, MODULE, NEW, SET, STREAM, STRING, ZSET } from './keyspace-flags.js';
import { ValueError, type OptionInfo, type OptionSpec } from './values.js';

/**
 * notify-keyspace-events: Redis's flag letters and their bits. K and E say
 * which channels get a message (__keyspace@0__:<key>, __keyevent@0__:<event>);
 * the other letters are the classes of events published. Parsing and the
 * canonical text CONFIG GET prints follow Redis 7 (notify.c), so "KEA"
 * reads back "AKE".
 */

const LETTERS: Readonly<Record<string, number>> = {
  A: ALL,
  g: GENERIC,
  $: STRING,
  l: LIST,
  s: SET,
  h: HASH,
  z: ZSET,
  x: EXPIRED,
  e: EVICTED,
  K: KEYSPACE,
  E: KEYEVENT,
  t: STREAM,
  m: KEY_MISS,
  d: MODULE,
  n: NEW,
};

/** Redis 7's CONFIG SET error text for an unknown letter. */
export const INVALID_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** The flags a text names; throws ValueError with Redis's text on any other character. */
export function parseKeyspaceEvents(text: string): number {
  let flags = 0;
  for (const ch of text) {
    const bit = LETTERS[ch];
    if (bit === undefined) throw new ValueError(INVALID_EVENT_CLASS);
    flags |= bit;
  }
  return flags;
}

/** The canonical text: A when every class of A is on (n is then not shown, as in Redis), then K, E, m. */
export function formatKeyspaceEvents(flags: number): string {
  let out = '';
  if ((flags & ALL) === ALL) {
    out = 'A';
  } else {
    const order: ReadonlyArray<readonly [number, string]> = [
      [GENERIC, 'g'],
      [STRING, '$'],
      [LIST, 'l'],
      [SET, 's'],
      [HASH, 'h'],
      [ZSET, 'z'],
      [EXPIRED, 'x'],
      [EVICTED, 'e'],
      [STREAM, 't'],
      [MODULE, 'd'],
      [NEW, 'n'],
    ];
    for (const [bit, letter] of order) if (flags & bit) out += letter;
  }
  if (flags & KEYSPACE) out += 'K';
  if (flags & KEYEVENT) out += 'E';
  if (flags & KEY_MISS) out += 'm';
  return out;
}

/** The option: a bit set, read and printed in Redis's letters. */
export function keyspaceEventsOption(info: OptionInfo): OptionSpec<number> {
  return {
    ...info,
    type: 'string',
    default: 0,
    defaultDoc: "'' (none)",
    expected: "Redis's event class letters (K E g $ l s h z x e t m d n A)",
    parse: parseKeyspaceEvents,
    fromJson: (v) => parseKeyspaceEvents(typeof v === 'string' ? v : String(v)),
    format: formatKeyspaceEvents,
  };
}
