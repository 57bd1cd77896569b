import type { Dot, VersionVector } from './types.js';

export type Ordering = 'equal' | 'before' | 'after' | 'concurrent';

export function emptyClock(): VersionVector {
  return {};
}

/**
 * The counter a clock holds for node, 0 when it has none. Only own entries
 * count: node ids such as 'constructor' or 'toString' are valid, and a client's
 * context may name anything, so nothing may be read through Object.prototype.
 */
export function counterOf(clock: VersionVector, node: string): number {
  return Object.hasOwn(clock, node) ? clock[node]! : 0;
}

/** Sets node's counter in clock; '__proto__' becomes a plain entry, not a prototype change. */
export function setCounter(clock: VersionVector, node: string, counter: number): void {
  if (node === '__proto__') {
    Object.defineProperty(clock, node, { value: counter, writable: true, enumerable: true, configurable: true });
  } else {
    clock[node] = counter;
  }
}

export function covers(clock: VersionVector, dot: Dot): boolean {
  return counterOf(clock, dot.node) >= dot.counter;
}

/** True when a has seen everything b has seen. */
export function descends(a: VersionVector, b: VersionVector): boolean {
  for (const node of Object.keys(b)) {
    if (counterOf(a, node) < b[node]!) return false;
  }
  return true;
}

export function compareClocks(a: VersionVector, b: VersionVector): Ordering {
  const ab = descends(a, b);
  const ba = descends(b, a);
  if (ab && ba) return 'equal';
  if (ab) return 'after';
  if (ba) return 'before';
  return 'concurrent';
}

export function clocksEqual(a: VersionVector, b: VersionVector): boolean {
  return compareClocks(a, b) === 'equal';
}

/** The least clock that descends both. */
export function joinClocks(a: VersionVector, b: VersionVector): VersionVector {
  const out: VersionVector = { ...a };
  for (const node of Object.keys(b)) {
    const v = b[node]!;
    if (counterOf(out, node) < v) setCounter(out, node, v);
  }
  return out;
}

/**
 * Readable text for VCLOCK: entries sorted by node id, e.g. {"node-a":3,"node-b":1}.
 * Written out by hand: a JS object lists integer-like keys ('1', '10') first
 * in numeric order whatever their insertion order, so it cannot carry the sort.
 */
export function clockToText(clock: VersionVector): string {
  const entries = Object.keys(clock)
    .sort()
    .map((node) => `${JSON.stringify(node)}:${clock[node]!}`);
  return `{${entries.join(',')}}`;
}
