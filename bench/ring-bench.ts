/**
 * Ring measurements: key hashing cost, how evenly vnodes spread primary
 * ownership, and the per-request cost of a preference list.
 *
 *   node --import tsx bench/ring-bench.ts [hash] [ownership] [lists]
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { keyHash } from '../src/core/hash.js';
import { newNodeId } from '../src/core/ids.js';
import { SeededRng } from '../src/core/rng.js';
import { Ring, type RingMember } from '../src/ring/index.js';

// ---- xxHash64 (no package provides it here, so a port on 32-bit halves) ----

const U32 = 0x1_0000_0000;
// Result register of the 64-bit helpers below (R[0] high word, R[1] low word). A
// typed array keeps the words unboxed; module-level number variables would box them.
const R = new Uint32Array(2);

function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  // mid may exceed 2^32, but its low 16 bits survive the 32-bit truncation of &.
  const lo = a0 * b0 + (mid & 0xffff) * 0x10000;
  R[1] = lo >>> 0;
  R[0] = (a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(lo / U32) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add64(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  R[1] = lo >>> 0;
  R[0] = (ah + bh + (lo >= U32 ? 1 : 0)) >>> 0;
}

function rotl64(h: number, l: number, k: number): void {
  if (k >= 32) {
    const t = h;
    h = l;
    l = t;
    k -= 32;
  }
  if (k === 0) {
    R[0] = h;
    R[1] = l;
  } else {
    R[0] = ((h << k) | (l >>> (32 - k))) >>> 0;
    R[1] = ((l << k) | (h >>> (32 - k))) >>> 0;
  }
}

const P1: readonly [number, number] = [0x9e3779b1, 0x85ebca87];
const P2: readonly [number, number] = [0xc2b2ae3d, 0x27d4eb4f];
const P3: readonly [number, number] = [0x165667b1, 0x9e3779f9];
const P4: readonly [number, number] = [0x85ebca77, 0xc2b2ae63];
const P5: readonly [number, number] = [0x27d4eb2f, 0x165667c5];

/** acc = rotl(acc + input * P2, 31) * P1 */
function round(ah: number, al: number, ih: number, il: number): void {
  mul64(ih, il, P2[0], P2[1]);
  add64(ah, al, R[0], R[1]);
  rotl64(R[0], R[1], 31);
  mul64(R[0], R[1], P1[0], P1[1]);
}

/** acc = (acc ^ round(0, v)) * P1 + P4 */
function mergeRound(ah: number, al: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul64((ah ^ R[0]) >>> 0, (al ^ R[1]) >>> 0, P1[0], P1[1]);
  add64(R[0], R[1], P4[0], P4[1]);
}

/** XXH64 with seed 0, as a bigint. */
export function xxh64(b: Buffer): bigint {
  const len = b.length;
  let p = 0;
  let hh: number, hl: number;
  if (len >= 32) {
    add64(P1[0], P1[1], P2[0], P2[1]);
    let v1h = R[0], v1l = R[1];
    let v2h = P2[0], v2l = P2[1];
    let v3h = 0, v3l = 0;
    // seed - P1 with seed 0: the two's complement of P1 (its low word is not 0).
    let v4h = ~P1[0] >>> 0, v4l = U32 - P1[1];
    for (; p + 32 <= len; p += 32) {
      round(v1h, v1l, b.readUInt32LE(p + 4), b.readUInt32LE(p)); v1h = R[0]; v1l = R[1];
      round(v2h, v2l, b.readUInt32LE(p + 12), b.readUInt32LE(p + 8)); v2h = R[0]; v2l = R[1];
      round(v3h, v3l, b.readUInt32LE(p + 20), b.readUInt32LE(p + 16)); v3h = R[0]; v3l = R[1];
      round(v4h, v4l, b.readUInt32LE(p + 28), b.readUInt32LE(p + 24)); v4h = R[0]; v4l = R[1];
    }
    rotl64(v1h, v1l, 1); hh = R[0]; hl = R[1];
    rotl64(v2h, v2l, 7); add64(hh, hl, R[0], R[1]); hh = R[0]; hl = R[1];
    rotl64(v3h, v3l, 12); add64(hh, hl, R[0], R[1]); hh = R[0]; hl = R[1];
    rotl64(v4h, v4l, 18); add64(hh, hl, R[0], R[1]); hh = R[0]; hl = R[1];
    mergeRound(hh, hl, v1h, v1l);
    mergeRound(R[0], R[1], v2h, v2l);
    mergeRound(R[0], R[1], v3h, v3l);
    mergeRound(R[0], R[1], v4h, v4l);
    hh = R[0]; hl = R[1];
  } else {
    hh = P5[0]; hl = P5[1];
  }
  add64(hh, hl, 0, len); hh = R[0]; hl = R[1];
  for (; p + 8 <= len; p += 8) {
    round(0, 0, b.readUInt32LE(p + 4), b.readUInt32LE(p));
    rotl64((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 27);
    mul64(R[0], R[1], P1[0], P1[1]);
    add64(R[0], R[1], P4[0], P4[1]); hh = R[0]; hl = R[1];
  }
  if (p + 4 <= len) {
    mul64(0, b.readUInt32LE(p), P1[0], P1[1]);
    rotl64((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 23);
    mul64(R[0], R[1], P2[0], P2[1]);
    add64(R[0], R[1], P3[0], P3[1]); hh = R[0]; hl = R[1];
    p += 4;
  }
  for (; p < len; p++) {
    mul64(0, b[p]!, P5[0], P5[1]);
    rotl64((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 11);
    mul64(R[0], R[1], P1[0], P1[1]); hh = R[0]; hl = R[1];
  }
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul64(hh, hl, P2[0], P2[1]);
  hl = (R[1] ^ ((R[1] >>> 29) | (R[0] << 3))) >>> 0;
  hh = (R[0] ^ (R[0] >>> 29)) >>> 0;
  mul64(hh, hl, P3[0], P3[1]);
  hh = R[0];
  hl = (R[1] ^ R[0]) >>> 0;
  return (BigInt(hh) << 32n) | BigInt(hl);
}

// Reference values from the C xxHash (XXH64, seed 0) over bytes (i * 31 + 7) & 0xff.
const XXH64_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [0, 'ef46db3751d8e999'], [1, 'a96c7f0ce858bbb7'], [3, '56e6957632a487f9'], [4, 'c60d15b1e3ff8f04'],
  [7, 'afbefc3d6c6f9a8e'], [8, '3da5c7aa269683e0'], [15, 'ae2a37eb9357caa7'], [16, 'a19ad429b02bc413'],
  [31, '4a74f3a1a39ad4a1'], [32, '8d57d6a4671cc43d'], [33, '62c9fd21ed857664'], [63, '5c320a0d2707057f'],
  [64, '7bbabbc45729d17e'], [100, 'efa0ad2d3e70c151'], [256, '7c1ff7b1d57c10d5'], [300, '8d2ba0cd7fece76c'],
];

function checkXxh64(): void {
  const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 31 + 7) & 0xff));
  for (const [len, hex] of XXH64_VECTORS) {
    const got = xxh64(bytes.subarray(0, len)).toString(16).padStart(16, '0');
    if (got !== hex) throw new Error(`xxh64 port is wrong at length ${len}: ${got} != ${hex}`);
  }
}

// ---- harness ----

/**
 * CPU nanoseconds per call of fn: the best of many short runs after a
 * warm-up. CPU time rather than wall time, so other processes on a busy
 * machine do not inflate the figures; the minimum drops runs hit by GC.
 */
function nsPerCall(iterations: number, fn: (i: number) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < Math.min(iterations * 2, 100_000); i++) sink = fn(i);
  let best = Infinity;
  for (let run = 0; run < 15; run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) sink = fn(i);
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return best;
}

/** CPU milliseconds fn takes, once. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: readonly string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  console.log(line(header));
  for (const r of cells.slice(1)) console.log(line(r));
  console.log();
}

// ---- 1. key hashing ----

function benchHashes(): void {
  checkXxh64();
  const rng = new SeededRng(1);
  const rows: Array<Array<string | number>> = [];
  for (const size of [16, 256]) {
    const keys = Array.from({ length: 4096 }, () => rng.bytes(size));
    const n = 50_000;
    const md5 = nsPerCall(n, (i) => keyHash(keys[i & 4095]!));
    const md5Stream = nsPerCall(n, (i) => createHash('md5').update(keys[i & 4095]!).digest().readBigUInt64BE(0));
    const md5OneShot = nsPerCall(n, (i) => (oneShotHash('md5', keys[i & 4095]!, 'buffer') as Buffer).readBigUInt64BE(0));
    const xx = nsPerCall(n, (i) => xxh64(keys[i & 4095]!));
    rows.push([`${size} B`, md5.toFixed(0), md5Stream.toFixed(0), md5OneShot.toFixed(0), xx.toFixed(0)]);
  }
  console.log('Key hashing, ns/key (to a 64-bit ring position as bigint)');
  console.log('No xxHash package is installed; xxh64 is a JS port on 32-bit halves checked against the C reference.');
  table(['key', 'keyHash (md5)', 'createHash md5', 'crypto.hash md5', 'xxh64 (JS)'], rows);
}

// ---- 2. ownership spread ----

function ids(count: number, seed: number): string[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: count }, () => newNodeId(rng));
}

function stats(values: readonly number[]): { mean: number; sd: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, sd, max: Math.max(...values) };
}

function benchOwnership(): void {
  const seeds = 10;
  const rows: Array<Array<string | number>> = [];
  for (const nodes of [3, 5, 10, 50]) {
    for (const vnodes of [16, 64, 256]) {
      let sdSum = 0;
      let maxSum = 0;
      let replicaSdSum = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const members: RingMember[] = ids(nodes, seed).map((id) => ({ id, rack: 'r1', dc: 'dc1', vnodes, state: 'normal' }));
        const ring = Ring.build(members);
        const shares = ring.owners.map((id) => ring.ownership(id, Math.min(3, nodes)));
        const primary = stats(shares.map((s) => s.primary));
        sdSum += primary.sd;
        maxSum += primary.max / primary.mean;
        replicaSdSum += stats(shares.map((s) => s.replica)).sd / stats(shares.map((s) => s.replica)).mean;
      }
      const ideal = 1 / nodes;
      const sd = sdSum / seeds;
      rows.push([
        nodes,
        vnodes,
        `${(ideal * 100).toFixed(2)}%`,
        `${(sd * 100).toFixed(3)}%`,
        `${((sd / ideal) * 100).toFixed(1)}%`,
        (maxSum / seeds).toFixed(2),
        `${((replicaSdSum / seeds) * 100).toFixed(1)}%`,
      ]);
    }
  }
  console.log(`Primary ownership spread (mean over ${seeds} random id sets, one rack)`);
  console.log('sd = standard deviation of the primary share across nodes; sd/ideal = the same relative to 1/nodes;');
  console.log('max/mean = the most loaded node against the average; replica sd/mean for N = min(3, nodes)');
  table(['nodes', 'vnodes', 'ideal', 'sd', 'sd/ideal', 'max/mean', 'replica sd/mean'], rows);
}

// ---- 3. preference list cost ----

function benchPreferenceList(): void {
  const rows: Array<Array<string | number>> = [];
  const rng = new SeededRng(3);
  const keys = Array.from({ length: 1 << 16 }, () => rng.bytes(16));
  const hashes = keys.map((k) => keyHash(k));
  const mask = hashes.length - 1;
  for (const [nodes, vnodes, racks] of [[10, 256, 1], [10, 256, 3], [50, 256, 5]] as const) {
    const members: RingMember[] = ids(nodes, 42).map((id, i) => ({ id, rack: `r${i % racks}`, dc: 'dc1', vnodes, state: 'normal' }));
    let ring = Ring.build(members);
    let buildMs = Infinity;
    for (let pass = 0; pass < 5; pass++) buildMs = Math.min(buildMs, cpuMs(() => (ring = Ring.build(members))));
    // A fresh ring per pass measures the first call per range (computing the list).
    let cold = Infinity;
    for (let pass = 0; pass < 7; pass++) {
      const fresh = Ring.build(members);
      const ms = cpuMs(() => {
        for (let i = 0; i < fresh.tokenCount; i++) fresh.preferenceList(hashes[i]!, 3);
      });
      cold = Math.min(cold, (ms * 1e6) / fresh.tokenCount);
    }
    for (const h of hashes) ring.preferenceList(h, 3);
    const warm = nsPerCall(200_000, (i) => ring.preferenceList(hashes[i & mask]!, 3));
    const withHash = nsPerCall(50_000, (i) => ring.preferenceList(keyHash(keys[i & mask]!), 3));
    const fallbacks = nsPerCall(50_000, (i) => ring.fallbacks(hashes[i & mask]!, 3, () => true));
    rows.push([`${nodes} x ${vnodes}`, racks, buildMs.toFixed(1), cold.toFixed(0), warm.toFixed(0), withHash.toFixed(0), fallbacks.toFixed(0)]);
  }
  console.log('Preference list cost, N = 3 (ns per call unless noted)');
  table(['nodes x vnodes', 'racks', 'build ms', 'first call', 'preferenceList', 'keyHash + list', 'fallbacks'], rows);
}

const sections: Record<string, () => void> = { hash: benchHashes, ownership: benchOwnership, lists: benchPreferenceList };
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) if (wanted.length === 0 || wanted.includes(name)) run();
