import { decodeDotMap } from './dot-map.js';
import type { DotMapState } from './types.js';

/**
 * Decoded collection states by their encoding, so the writes to one big
 * hash or set that follow each other (each one reads the state the last one
 * wrote) decode it once, not once per write. States are immutable (a write
 * builds a new one), so one decoded state may serve every reader. Bounded by
 * the encodings' total size; the least recently used goes first. Small
 * states are not kept: decoding them costs less than looking them up.
 */
const MIN_BYTES = 1024;
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;

const byFingerprint = new Map<string, { readonly buf: Buffer; readonly state: DotMapState }>();
let totalBytes = 0;

/** Length and a few bytes from the end, where the last names and entries are: cheap, and equal encodings agree. */
function fingerprint(buf: Buffer): string {
  const tail = buf.subarray(Math.max(0, buf.length - 24));
  return `${buf.length}:${tail.toString('latin1')}`;
}

function remember(id: string, buf: Buffer, state: DotMapState): void {
  const old = byFingerprint.get(id);
  if (old) {
    totalBytes -= old.buf.length;
    byFingerprint.delete(id);
  }
  byFingerprint.set(id, { buf, state });
  totalBytes += buf.length;
  for (const [k, v] of byFingerprint) {
    if (totalBytes <= MAX_TOTAL_BYTES) break;
    byFingerprint.delete(k);
    totalBytes -= v.buf.length;
  }
}

/** decodeDotMap, from the cache when the same bytes were decoded or written lately. */
export function readDotMap(buf: Buffer): DotMapState {
  if (buf.length < MIN_BYTES) return decodeDotMap(buf);
  const id = fingerprint(buf);
  const hit = byFingerprint.get(id);
  if (hit && (hit.buf === buf || hit.buf.equals(buf))) {
    // Most recently used last, so eviction takes the oldest.
    byFingerprint.delete(id);
    byFingerprint.set(id, hit);
    return hit.state;
  }
  const state = decodeDotMap(buf);
  remember(id, buf, state);
  return state;
}

/** Tells the cache that buf is the encoding of state (a write just made it). */
export function rememberDotMap(buf: Buffer, state: DotMapState): void {
  if (buf.length >= MIN_BYTES) remember(fingerprint(buf), buf, state);
}
