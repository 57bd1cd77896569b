/**
 * The bits of notify-keyspace-events, one per Redis flag letter (notify.c).
 * Free of imports, so Pub/Sub reads them without the option parsers (which
 * reach node:net).
 */
export const KEYSPACE = 1 << 0; // K
export const KEYEVENT = 1 << 1; // E
export const GENERIC = 1 << 2; // g
export const STRING = 1 << 3; // $
export const LIST = 1 << 4; // l
export const SET = 1 << 5; // s
export const HASH = 1 << 6; // h
export const ZSET = 1 << 7; // z
export const EXPIRED = 1 << 8; // x
export const EVICTED = 1 << 9; // e
export const STREAM = 1 << 10; // t
export const KEY_MISS = 1 << 11; // m
export const MODULE = 1 << 12; // d
export const NEW = 1 << 13; // n
/** A: every class but key-miss (m) and new-key (n) events, as in Redis. */
export const ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

