import tap from 'tap';
import { QkvError } from '../../src/core/errors.js';
import type { Engine, KeyRange } from '../../src/storage/engine.js';

/**
 * One behaviour for every Engine: each engine's test file runs this suite
 * against its own factory.
 */
export interface EngineUnderTest {
  readonly engine: Engine;
  /** Closes the engine and opens a new one over the same data. */
  reopen(): Promise<Engine>;
  /** Closes whatever is open and removes the data. */
  dispose(): Promise<void>;
}

export type EngineFactory = () => Promise<EngineUnderTest>;

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const s = (text: string): Buffer => Buffer.from(text);

async function collect(engine: Engine, range: KeyRange): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const [k, v] of engine.iterate(range)) out.push([k.toString('hex'), v.toString()]);
  return out;
}

async function keysOf(engine: Engine, range: KeyRange): Promise<string[]> {
  return (await collect(engine, range)).map(([k]) => k);
}

async function putAll(engine: Engine, entries: Array<[Buffer, string]>): Promise<void> {
  await engine.write(
    entries.map(([key, value]) => ({ type: 'put', key, value: s(value) })),
    false,
  );
}

/** A subtest's `t`. */
export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

export function engineConformance(name: string, factory: EngineFactory): void {
  const withEngine = (title: string, fn: (t: Tap, u: EngineUnderTest) => Promise<void>): void => {
    tap.test(`${name}: ${title}`, async (t) => {
      const u = await factory();
      t.teardown(() => u.dispose());
      await fn(t, u);
    });
  };

  withEngine('get, put, del and getMany', async (t, { engine }) => {
    t.equal(await engine.get(s('a')), undefined, 'a missing key reads as undefined');
    await engine.write([{ type: 'put', key: s('a'), value: s('1') }], false);
    await engine.write([{ type: 'put', key: s('b'), value: Buffer.alloc(0) }], true);
    t.equal((await engine.get(s('a')))?.toString(), '1');
    t.same(await engine.get(s('b')), Buffer.alloc(0), 'an empty value is a value, not absence');
    const many = await engine.getMany([s('b'), s('zz'), s('a')]);
    t.same(many.map((v) => v?.toString()), ['', undefined, '1']);
    t.same(await engine.getMany([]), []);
    await engine.write([{ type: 'put', key: s('a'), value: s('2') }], false);
    t.equal((await engine.get(s('a')))?.toString(), '2', 'a put overwrites');
    await engine.write([{ type: 'del', key: s('a') }], false);
    t.equal(await engine.get(s('a')), undefined, 'a deleted key is gone');
    await engine.write([{ type: 'del', key: s('never') }], false);
    await engine.write([], false);
  });

  withEngine('values are copies: changing a buffer after the fact changes nothing stored', async (t, { engine }) => {
    const value = s('abc');
    await engine.write([{ type: 'put', key: s('k'), value }], false);
    value[0] = 0x7a;
    const read = (await engine.get(s('k')))!;
    t.equal(read.toString(), 'abc');
    read[0] = 0x7a;
    t.equal((await engine.get(s('k')))?.toString(), 'abc');
  });

  withEngine('refuses empty keys and puts without a value', async (t, { engine }) => {
    await t.rejects(engine.get(Buffer.alloc(0)), QkvError);
    await t.rejects(engine.getMany([s('a'), Buffer.alloc(0)]), QkvError);
    await t.rejects(engine.write([{ type: 'put', key: s('ok'), value: s('1') }, { type: 'put', key: Buffer.alloc(0), value: s('x') }], false), QkvError);
    await t.rejects(engine.write([{ type: 'put', key: s('novalue') }], false), QkvError);
    t.equal(await engine.get(s('ok')), undefined, 'a refused batch writes nothing');
  });

  withEngine('a batch applies all its writes together, the last write to a key winning', async (t, { engine }) => {
    await putAll(engine, [
      [s('a'), '1'],
      [s('b'), '1'],
    ]);
    await engine.write(
      [
        { type: 'put', key: s('c'), value: s('3') },
        { type: 'del', key: s('a') },
        { type: 'put', key: s('b'), value: s('first') },
        { type: 'put', key: s('b'), value: s('second') },
        { type: 'put', key: s('d'), value: s('gone') },
        { type: 'del', key: s('d') },
      ],
      true,
    );
    t.same(await collect(engine, {}), [
      [s('b').toString('hex'), 'second'],
      [s('c').toString('hex'), '3'],
    ]);
  });

  withEngine('binary keys with 0x00 and 0xff bytes sort bytewise, shorter prefix first', async (t, { engine }) => {
    const sorted = [b(0x00), b(0x00, 0x00), b(0x00, 0xff), b(0x01), b(0x7f, 0xff), b(0x80), b(0xfe, 0xff, 0xff), b(0xff), b(0xff, 0x00), b(0xff, 0xff, 0xff)];
    const shuffled = [5, 2, 9, 0, 7, 3, 8, 1, 6, 4].map((i) => sorted[i]!);
    for (const key of shuffled) await engine.write([{ type: 'put', key, value: key }], false);
    const hex = sorted.map((k) => k.toString('hex'));
    t.same(await keysOf(engine, {}), hex);
    t.same(await keysOf(engine, { reverse: true }), [...hex].reverse());
    for (const key of sorted) t.same(await engine.get(key), key, `reads back ${key.toString('hex')}`);
    t.same(await keysOf(engine, { gte: b(0x00, 0x00), lt: b(0x01) }), ['0000', '00ff']);
    t.same(await keysOf(engine, { gte: b(0xff) }), ['ff', 'ff00', 'ffffff']);
  });

  withEngine('ranges: gte inclusive, lt exclusive, reverse, limit', async (t, { engine }) => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await putAll(
      engine,
      keys.map((k) => [s(k), k]),
    );
    const names = async (range: KeyRange): Promise<string[]> => (await collect(engine, range)).map(([, v]) => v);
    t.same(await names({ gte: s('k3'), lt: s('k6') }), ['k3', 'k4', 'k5']);
    t.same(await names({ gte: s('k3'), lt: s('k6'), reverse: true }), ['k5', 'k4', 'k3']);
    t.same(await names({ gte: s('k3'), limit: 2 }), ['k3', 'k4']);
    t.same(await names({ lt: s('k3'), reverse: true, limit: 2 }), ['k2', 'k1']);
    t.same(await names({ reverse: true, limit: 3 }), ['k9', 'k8', 'k7']);
    t.same(await names({ gte: s('k35'), lt: s('k7') }), ['k4', 'k5', 'k6'], 'bounds need not be stored keys');
    t.same(await names({ limit: 0 }), [], 'limit 0 yields nothing');
    t.same(await names({ gte: s('k6'), lt: s('k3') }), [], 'lt below gte is empty');
    t.same(await names({ gte: s('k5'), lt: s('k5') }), [], 'lt equal to gte is empty');
    t.same(await names({ lt: Buffer.alloc(0) }), [], 'lt of the empty key is empty');
    t.same(await names({ gte: Buffer.alloc(0), limit: 1 }), ['k0'], 'gte of the empty key is the start');
    t.same((await collect(engine, { gte: s('k1'), lt: s('k3'), keysOnly: true })).map(([, v]) => v), ['', ''], 'keysOnly yields empty values');
  });

  withEngine('an iteration stopped early releases the iterator and leaves the engine usable', async (t, u) => {
    const { engine } = u;
    await putAll(
      engine,
      Array.from({ length: 2000 }, (_, i): [Buffer, string] => [s(`key${String(i).padStart(5, '0')}`), 'v']),
    );
    let seen = 0;
    for await (const _ of engine.iterate({})) {
      if (++seen === 3) break;
    }
    t.equal(seen, 3);
    const it = engine.iterate({ reverse: true });
    t.equal((await it.next()).value?.[0].toString(), 'key01999');
    await it.return!();
    t.equal((await it.next()).done, true, 'next after return is done');
    const open = engine.iterate({});
    t.equal((await open.next()).done, false);
    await engine.write([{ type: 'put', key: s('after'), value: s('1') }], false);
    t.equal((await engine.get(s('after')))?.toString(), '1');
    const empty = engine.iterate({ limit: 0 });
    t.same(await empty.return!(), { done: true, value: undefined }, 'an empty range can be ended early too');
    t.equal((await empty.next()).done, true);
    const reopened = await u.reopen();
    t.equal((await reopened.get(s('after')))?.toString(), '1', 'closing with an iterator left open works');
  });

  withEngine('concurrent next() calls on one iterator yield entries in order', async (t, { engine }) => {
    await putAll(
      engine,
      ['a', 'b', 'c'].map((k): [Buffer, string] => [s(k), k]),
    );
    const it = engine.iterate({});
    const steps = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    t.same(
      steps.map((r) => (r.done ? 'done' : r.value[1].toString())),
      ['a', 'b', 'c', 'done'],
    );
  });

  withEngine('iterates 50,000 entries in order, streaming', async (t, { engine }) => {
    const total = 50_000;
    const value = Buffer.alloc(100, 0x61);
    for (let start = 0; start < total; start += 5000) {
      const ops = [];
      for (let i = start; i < start + 5000; i++) {
        const key = Buffer.allocUnsafe(5);
        key[0] = 0x64;
        key.writeUInt32BE(i, 1);
        ops.push({ type: 'put' as const, key, value });
      }
      await engine.write(ops, false);
    }
    let count = 0;
    let previous: Buffer | null = null;
    let ordered = true;
    for await (const [k, v] of engine.iterate({ gte: b(0x64), lt: b(0x65) })) {
      if (previous && Buffer.compare(previous, k) >= 0) ordered = false;
      if (v.length !== 100) ordered = false;
      previous = k;
      count++;
    }
    t.equal(count, total);
    t.ok(ordered, 'keys strictly ascending, values intact');
    let back = 0;
    for await (const [k] of engine.iterate({ gte: b(0x64), lt: b(0x65), reverse: true, limit: 20_000, keysOnly: true })) {
      if (back === 0) t.equal(k.readUInt32BE(1), total - 1);
      back++;
    }
    t.equal(back, 20_000);
  });

  withEngine('deleteRange removes exactly the range', async (t, { engine }) => {
    await putAll(
      engine,
      Array.from({ length: 10 }, (_, i): [Buffer, string] => [s(`k${i}`), `k${i}`]),
    );
    await engine.deleteRange({ gte: s('k2'), lt: s('k5') });
    t.same((await collect(engine, {})).map(([, v]) => v), ['k0', 'k1', 'k5', 'k6', 'k7', 'k8', 'k9']);
    await engine.deleteRange({ gte: s('k5'), limit: 2 });
    t.same((await collect(engine, {})).map(([, v]) => v), ['k0', 'k1', 'k7', 'k8', 'k9']);
    await engine.deleteRange({ reverse: true, limit: 1 });
    t.same((await collect(engine, {})).map(([, v]) => v), ['k0', 'k1', 'k7', 'k8']);
    await engine.deleteRange({ gte: s('k9'), lt: s('k0') });
    await engine.deleteRange({ limit: 0 });
    t.equal((await collect(engine, {})).length, 4, 'empty ranges delete nothing');
    await engine.deleteRange({});
    t.same(await collect(engine, {}), []);
  });

  withEngine('deleteRange of thousands of keys, with and without a limit', async (t, { engine }) => {
    await putAll(
      engine,
      Array.from({ length: 3000 }, (_, i): [Buffer, string] => [s(`k${String(i).padStart(4, '0')}`), 'v']),
    );
    await engine.deleteRange({ gte: s('k1000'), limit: 1500 });
    const left = await keysOf(engine, { keysOnly: true });
    t.equal(left.length, 1500);
    t.equal(Buffer.from(left[999]!, 'hex').toString(), 'k0999');
    t.equal(Buffer.from(left[1000]!, 'hex').toString(), 'k2500');
    await engine.deleteRange({ lt: s('k2000') });
    t.equal((await keysOf(engine, {})).length, 500);
  });

  withEngine('data survives close and reopen', async (t, u) => {
    await u.engine.write(
      [
        { type: 'put', key: b(0x00, 0x01), value: s('binary') },
        { type: 'put', key: s('text'), value: s('v') },
      ],
      true,
    );
    const engine = await u.reopen();
    t.equal((await engine.get(b(0x00, 0x01)))?.toString(), 'binary');
    t.same(await keysOf(engine, {}), ['0001', s('text').toString('hex')]);
  });

  withEngine('stats report a size and numeric properties', async (t, { engine }) => {
    const before = await engine.stats();
    await putAll(
      engine,
      Array.from({ length: 100 }, (_, i): [Buffer, string] => [s(`k${i}`), 'x'.repeat(100)]),
    );
    const after = await engine.stats();
    t.ok(after.approximateBytes > before.approximateBytes, `size grows (${before.approximateBytes} -> ${after.approximateBytes})`);
    t.ok(Object.keys(after.properties).length > 0);
    for (const [k, v] of Object.entries(after.properties)) t.ok(Number.isFinite(v), `${k} is a number`);
  });

  withEngine('operations on a closed engine are refused with a clear error', async (t, u) => {
    await u.engine.close();
    await t.rejects(u.engine.get(s('a')), { message: /not open|closed/ });
    await t.rejects(u.engine.write([{ type: 'put', key: s('a'), value: s('1') }], false), QkvError);
    await t.rejects(u.engine.deleteRange({}), QkvError);
    await t.rejects(u.engine.stats(), QkvError);
    t.throws(() => u.engine.iterate({}), QkvError);
    await u.engine.close();
  });
}
