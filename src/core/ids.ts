import type { Rng } from './rng.js';

/** A node id: 'n' followed by 12 hex digits from the given randomness. */
export function newNodeId(rng: Rng): string {
  return 'n' + rng.bytes(6).toString('hex');
}

const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Node ids appear in clocks and logs: short, printable, no separators. */
export function isValidNodeId(id: string): boolean {
  return NODE_ID_RE.test(id);
}
