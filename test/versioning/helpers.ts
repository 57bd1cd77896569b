import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Test } from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { decodeObject, encodeObject } from '../../src/versioning/codec.js';
import { compareSiblingOrder, mergeObjects } from '../../src/versioning/object.js';
import type { Dot, Sibling, VersionVector, VersionedObject } from '../../src/versioning/types.js';

/**
 * Runs a fast-check property as one tap assertion. A failure reports the
 * counterexample and the seed that replays it (fc.assert's `seed` option).
 */
export function holds<Ts extends [unknown, ...unknown[]]>(t: Test, name: string, prop: fc.IProperty<Ts>, numRuns: number): void {
  const details = fc.check(prop, { numRuns });
  if (details.failed) t.fail(`${name}\n${fc.defaultReportMessage(details)}`);
  else t.pass(`${name} (${details.numRuns} runs)`);
}

/**
 * Node ids, with the ones a plain object would read through its prototype:
 * 'constructor' and 'toString' are valid node ids, and a client's context
 * may name '__proto__'.
 */
export const nodeIdArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'node-1', 'constructor', 'toString', 'valueOf', '__proto__'),
  fc.string({ maxLength: 4 }),
);

/** Between min and max distinct node ids. */
export const nodesArb = (min: number, max: number): fc.Arbitrary<string[]> =>
  fc.uniqueArray(nodeIdArb, { minLength: min, maxLength: max });

/** A clock built with own entries only (Object.fromEntries keeps '__proto__' an entry). */
export function clockOf(entries: ReadonlyArray<readonly [string, number]>): VersionVector {
  return Object.fromEntries(entries) as VersionVector;
}

export const counterArb = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.nat());

export const clockArb: fc.Arbitrary<VersionVector> = fc
  .uniqueArray(fc.tuple(nodeIdArb, counterArb), { selector: (e) => e[0], maxLength: 5 })
  .map(clockOf);

const timeArb = fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0));

/** Any object the codec must carry: every dot inside the clock, no dot twice; siblings in any order. */
export const objectArb: fc.Arbitrary<VersionedObject> = fc
  .record({
    entries: fc.uniqueArray(fc.tuple(nodeIdArb, fc.integer({ min: 1, max: 2 ** 40 })), { selector: (e) => e[0], maxLength: 5 }),
    raw: fc.array(
      fc.record({
        pick: fc.nat(),
        back: fc.nat({ max: 3 }),
        ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), timeArb),
        tombstone: fc.boolean(),
        expireAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 45 }), timeArb),
        value: fc.uint8Array({ maxLength: 40 }),
      }),
      { maxLength: 6 },
    ),
  })
  .map(({ entries, raw }) => {
    const clock = clockOf(entries);
    const siblings: Sibling[] = [];
    if (entries.length > 0) {
      for (const r of raw) {
        const [node, top] = entries[r.pick % entries.length]!;
        const dot = { node, counter: Math.max(1, top - r.back) };
        if (siblings.some((s) => sameDot(s.dot, dot))) continue;
        siblings.push({ dot, ts: r.ts, tombstone: r.tombstone, expireAt: r.expireAt, value: Buffer.from(r.value) });
      }
    }
    return { clock, siblings };
  });

export function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

/** Throws unless obj is a version the rest of the system can take (see codec.ts). */
export function assertValidObject(obj: VersionedObject): void {
  for (const node of Object.keys(obj.clock)) assert.ok(Number.isSafeInteger(obj.clock[node]) && obj.clock[node]! >= 0, `clock entry ${node}`);
  obj.siblings.forEach((s, i) => {
    assert.ok(Object.hasOwn(obj.clock, s.dot.node), 'dot node in the clock');
    assert.ok(Number.isSafeInteger(s.dot.counter) && s.dot.counter >= 1 && s.dot.counter <= obj.clock[s.dot.node]!, 'dot inside the clock');
    assert.ok(!obj.siblings.slice(0, i).some((o) => sameDot(o.dot, s.dot)), 'no dot twice');
    assert.ok(!Number.isNaN(s.ts) && !Number.isNaN(s.expireAt), 'timestamps are numbers');
    assert.ok(Buffer.isBuffer(s.value) && typeof s.tombstone === 'boolean');
  });
  assert.deepStrictEqual(decodeObject(encodeObject(obj)), obj);
}

/** Returns what f returns; an exception must be a QkvError ERR (a corrupt record), never anything else. */
export function onlyQkvErrors<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof QkvError, `threw ${String(e)}`);
    assert.equal(e.code, 'ERR');
    return undefined;
  }
}

export function bytes(obj: VersionedObject): string {
  return encodeObject(obj).toString('hex');
}

export function isCanonical(obj: VersionedObject): boolean {
  return obj.siblings.every((s, i) => i === 0 || compareSiblingOrder(obj.siblings[i - 1]!, s) < 0);
}

/** Merges all objects pairwise in an order the picks choose (any merge tree, not only a left fold). */
export function mergeInTree(objs: readonly VersionedObject[], picks: readonly number[]): VersionedObject {
  assert.ok(objs.length > 0);
  const pool = [...objs];
  let k = 0;
  const take = (): VersionedObject => pool.splice((picks[k++ % Math.max(1, picks.length)] ?? 0) % pool.length, 1)[0]!;
  while (pool.length > 1) {
    const a = take();
    const b = take();
    pool.push(mergeObjects(a, b));
  }
  return pool[0]!;
}

/** A permutation of 0..n-1 chosen by keys (ties keep index order). */
export function permutation(n: number, keys: readonly number[]): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => (keys[a % keys.length] ?? 0) - (keys[b % keys.length] ?? 0) || a - b);
}
