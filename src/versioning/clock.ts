import type { Dot, VersionVector } from './types.js';

export type Ordering = 'equal' | 'before' | 'after' | 'concurrent';

export function emptyClock(): VersionVector {
  return {};
}

export function covers(clock: VersionVector, dot: Dot): boolean {
  return (clock[dot.node] ?? 0) >= dot.counter;
}

/** True when a has seen everything b has seen. */
export function descends(a: VersionVector, b: VersionVector): boolean {
  for (const node in b) {
    if ((a[node] ?? 0) < b[node]!) return false;
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
  for (const node in b) {
    const v = b[node]!;
    if ((out[node] ?? 0) < v) out[node] = v;
  }
  return out;
}

/** Readable text for VCLOCK: entries sorted by node id, e.g. {"node-a":3,"node-b":1}. */
export function clockToText(clock: VersionVector): string {
  const sorted: VersionVector = {};
  for (const node of Object.keys(clock).sort()) sorted[node] = clock[node]!;
  return JSON.stringify(sorted);
}
