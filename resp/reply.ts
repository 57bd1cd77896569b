/**
 * A reply as a value: command handlers return these and the connection
 * encodes them for the client's protocol (RESP2 or RESP3). Types that RESP2
 * lacks degrade the way Redis degrades them (map -> flat array, double ->
 * bulk string, null -> $-1 or *-1, bool -> integer, verbatim -> bulk).
 */
export type Reply =
  | { readonly t: 'simple'; readonly v: string }
  | { readonly t: 'error'; readonly v: string }
  | { readonly t: 'int'; readonly v: number | bigint }
  | { readonly t: 'bulk'; readonly v: Buffer | string }
  /** Null bulk ($-1 in RESP2, _ in RESP3). */
  | { readonly t: 'null' }
  /** Null array (*-1 in RESP2, _ in RESP3). */
  | { readonly t: 'nullarray' }
  | { readonly t: 'array'; readonly v: readonly Reply[] }
  | { readonly t: 'map'; readonly v: ReadonlyArray<readonly [Reply, Reply]> }
  | { readonly t: 'set'; readonly v: readonly Reply[] }
  | { readonly t: 'double'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'verbatim'; readonly format: string; readonly v: string }
  | { readonly t: 'push'; readonly v: readonly Reply[] }
  /** Bytes already encoded, identical in both protocols (a fast path for +OK and friends). */
  | { readonly t: 'raw'; readonly v: Buffer };

export const OK: Reply = { t: 'raw', v: Buffer.from('+OK\r\n') };
export const NULL: Reply = { t: 'null' };
export const NULL_ARRAY: Reply = { t: 'nullarray' };
export const ZERO: Reply = { t: 'raw', v: Buffer.from(':0\r\n') };
export const ONE: Reply = { t: 'raw', v: Buffer.from(':1\r\n') };

export const simple = (v: string): Reply => ({ t: 'simple', v });
export const error = (v: string): Reply => ({ t: 'error', v });
export const int = (v: number | bigint): Reply => (v === 0 ? ZERO : v === 1 ? ONE : { t: 'int', v });
export const bulk = (v: Buffer | string): Reply => ({ t: 'bulk', v });
export const bulkOrNull = (v: Buffer | string | undefined | null): Reply => (v === undefined || v === null ? NULL : { t: 'bulk', v });
export const array = (v: readonly Reply[]): Reply => ({ t: 'array', v });
export const map = (v: ReadonlyArray<readonly [Reply, Reply]>): Reply => ({ t: 'map', v });
export const set = (v: readonly Reply[]): Reply => ({ t: 'set', v });
export const double = (v: number): Reply => ({ t: 'double', v });
export const bool = (v: boolean): Reply => ({ t: 'bool', v });
export const verbatim = (v: string, format = 'txt'): Reply => ({ t: 'verbatim', format, v });
export const push = (v: readonly Reply[]): Reply => ({ t: 'push', v });

/** A map from string keys, the common shape of HELLO, CLIENT INFO and friends. */
export function mapOf(entries: ReadonlyArray<readonly [string, Reply]>): Reply {
  return map(entries.map(([k, v]) => [bulk(k), v] as const));
}

/**
 * About how many bytes a reply holds while it waits to be written: its
 * strings and buffers plus a little per element. For bounding memory, not
 * for framing.
 */
export function approximateReplyBytes(r: Reply): number {
  switch (r.t) {
    case 'bulk':
    case 'simple':
    case 'error':
    case 'verbatim':
      return 16 + r.v.length;
    case 'raw':
      return r.v.length;
    case 'array':
    case 'set':
    case 'push': {
      let n = 16;
      for (const e of r.v) n += approximateReplyBytes(e);
      return n;
    }
    case 'map': {
      let n = 16;
      for (const [k, v] of r.v) n += approximateReplyBytes(k) + approximateReplyBytes(v);
      return n;
    }
    default:
      return 16;
  }
}
