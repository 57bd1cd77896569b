import fc from 'fast-check';
import t from 'tap';
import { Writer } from '../../src/versioning/bytes.js';
import { NO_ORIGIN, compareOrigins, type CounterOrigin } from '../../src/versioning/counter.js';
import { DotMapWrite, decodeDotMap, emptyDotMap, encodeDotMap, mergeDotMaps, type DotMapState } from '../../src/versioning/dot-map.js';
import { holds } from './helpers.js';

const RUNS = 300;
const ACTORS = ['a', 'b', 'c'] as const;
const NAMES = ['x', 'y', 'z', 'w'] as const;
/** Origins a replica may restart from (a DEL or SET it saw), newest last. */
const ORIGINS: readonly CounterOrigin[] = [
  { ts: 10, node: 'a', counter: 7 },
  { ts: 20, node: 'b', counter: 3 },
  { ts: 20, node: 'c', counter: 1 },
];

type Op = { readonly kind: 'set'; readonly name: string; readonly value: string } | { readonly kind: 'remove'; readonly name: string };

type Step =
  | { readonly kind: 'write'; readonly at: number; readonly ops: readonly Op[] }
  | { readonly kind: 'sync'; readonly at: number; readonly with: number }
  | { readonly kind: 'restart'; readonly at: number; readonly origin: number }
  | { readonly kind: 'reload'; readonly at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), name: fc.constantFrom(...NAMES), value: fc.constantFrom('', '1', 'v', 'long value') }),
  fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom(...NAMES) }),
);

const at = fc.nat({ max: ACTORS.length - 1 });

const stepArb = (restarts: boolean): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), at, ops: fc.array(opArb, { minLength: 1, maxLength: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), at, with: at }) },
    { weight: restarts ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('restart' as const), at, origin: fc.nat({ max: ORIGINS.length - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), at }) },
  );

const stepsArb = (restarts: boolean): fc.Arbitrary<Step[]> => fc.array(stepArb(restarts), { maxLength: 40 });

const entryId = (origin: CounterOrigin, name: string, node: string, counter: number): string =>
  `${origin.ts}/${origin.node}/${origin.counter}|${name}|${node}:${counter}`;

interface Run {
  /** Every state any replica held, in order. */
  readonly snapshots: DotMapState[];
  /** The replicas' last states. */
  readonly replicas: DotMapState[];
  /** Entries (entryId) some write added, with the value it gave. */
  readonly added: Map<string, string>;
  /** Entries some write replaced or removed after seeing them. */
  readonly superseded: Set<string>;
}

/**
 * Plays steps as real replicas do: each actor writes on its own copy (one
 * DotMapWrite per write), copies merge now and then, and a replica may
 * restart the key from a newer origin (as after a DEL it saw).
 */
function play(steps: readonly Step[]): Run {
  const replicas: DotMapState[] = ACTORS.map(() => emptyDotMap(NO_ORIGIN));
  const snapshots: DotMapState[] = [...replicas];
  const added = new Map<string, string>();
  const superseded = new Set<string>();
  let now = 1000;
  for (const step of steps) {
    now++;
    const cur = replicas[step.at]!;
    if (step.kind === 'sync') {
      replicas[step.at] = mergeDotMaps(cur, replicas[step.with]!);
    } else if (step.kind === 'reload') {
      // Read back from its record, as a replica does after a restart or a cache miss.
      replicas[step.at] = decodeDotMap(encodeDotMap(cur));
    } else if (step.kind === 'restart') {
      const origin = ORIGINS[step.origin]!;
      // A replica restarts only from an origin newer than the one it holds (the write that ended the key is newer).
      if (compareOrigins(origin, cur.origin) <= 0) continue;
      replicas[step.at] = emptyDotMap(origin);
    } else {
      const w = new DotMapWrite(cur, ACTORS[step.at]!, now);
      for (const op of step.ops) {
        for (const e of w.get(op.name) ?? []) superseded.add(entryId(cur.origin, op.name, e.dot.node, e.dot.counter));
        if (op.kind === 'set') {
          w.set(op.name, Buffer.from(op.value));
          const dot = w.get(op.name)![0]!.dot;
          const id = entryId(cur.origin, op.name, dot.node, dot.counter);
          added.set(id, op.value);
          // A write that sets one name twice keeps its one dot: the entry stands.
          superseded.delete(id);
        } else {
          w.remove(op.name);
        }
      }
      replicas[step.at] = w.done();
    }
    snapshots.push(replicas[step.at]!);
  }
  return { snapshots, replicas, added, superseded };
}

const hex = (s: DotMapState): string => encodeDotMap(s).toString('hex');

/** The same state in new maps and arrays: nothing kept beside it from earlier encodings or writes. */
const fresh = (s: DotMapState): DotMapState => ({ origin: s.origin, clock: { ...s.clock }, entries: new Map([...s.entries].map(([k, v]) => [k, [...v]])) });

/** A run and three of its states, picked by index. */
const runArb = (restarts: boolean) =>
  fc.record({ steps: stepsArb(restarts), i: fc.nat(), j: fc.nat(), k: fc.nat() }).map(({ steps, i, j, k }) => {
    const run = play(steps);
    const pick = (n: number): DotMapState => run.snapshots[n % run.snapshots.length]!;
    return { run, a: pick(i), b: pick(j), c: pick(k) };
  });

t.test('mergeDotMaps: commutative, associative, idempotent, byte for byte, over states replicas reach', async (t) => {
  for (const restarts of [false, true]) {
    const label = restarts ? 'with restarts' : 'one origin';
    holds(t, `commutative (${label})`, fc.property(runArb(restarts), ({ a, b }) => hex(mergeDotMaps(a, b)) === hex(mergeDotMaps(b, a))), RUNS);
    holds(
      t,
      `associative (${label})`,
      fc.property(runArb(restarts), ({ a, b, c }) => hex(mergeDotMaps(mergeDotMaps(a, b), c)) === hex(mergeDotMaps(a, mergeDotMaps(b, c)))),
      RUNS,
    );
    holds(
      t,
      `idempotent (${label})`,
      fc.property(runArb(restarts), ({ a, b }) => {
        const ab = mergeDotMaps(a, b);
        return hex(mergeDotMaps(a, a)) === hex(a) && hex(mergeDotMaps(ab, b)) === hex(ab) && hex(mergeDotMaps(ab, a)) === hex(ab);
      }),
      RUNS,
    );
  }
});

t.test('merging every replica keeps exactly the adds no write that saw them took away', async (t) => {
  holds(
    t,
    'no acknowledged add is lost, no removed entry comes back',
    fc.property(stepsArb(false), fc.nat(), (steps, rot) => {
      const run = play(steps);
      // Any merge order gives the same state.
      const order = run.replicas.map((_, i) => run.replicas[(i + rot) % run.replicas.length]!);
      const all = order.reduce((m, s) => mergeDotMaps(m, s));
      const present = new Map<string, string>();
      for (const [name, es] of all.entries) for (const e of es) present.set(entryId(all.origin, name, e.dot.node, e.dot.counter), e.value.toString());
      const expected = new Map([...run.added].filter(([id]) => !run.superseded.has(id)));
      if (present.size !== expected.size) return false;
      for (const [id, v] of expected) if (present.get(id) !== v) return false;
      return true;
    }),
    RUNS,
  );
  holds(
    t,
    'with restarts: the newest origin wins whole, and keeps its own adds',
    fc.property(stepsArb(true), (steps) => {
      const run = play(steps);
      const all = run.replicas.reduce((m, s) => mergeDotMaps(m, s));
      const newest = run.replicas.map((s) => s.origin).reduce((m, o) => (compareOrigins(o, m) > 0 ? o : m));
      if (compareOrigins(all.origin, newest) !== 0) return false;
      const prefix = entryId(newest, '', '', 0).split('|')[0]! + '|';
      const expected = [...run.added.keys()].filter((id) => id.startsWith(prefix) && !run.superseded.has(id)).sort();
      const present: string[] = [];
      for (const [name, es] of all.entries) for (const e of es) present.push(entryId(all.origin, name, e.dot.node, e.dot.counter));
      return JSON.stringify(present.sort()) === JSON.stringify(expected);
    }),
    RUNS,
  );
  holds(t, 'the codec carries every state a replica reaches', fc.property(runArb(true), ({ a }) => hex(decodeDotMap(encodeDotMap(a))) === hex(a)), RUNS);
  holds(
    t,
    'the names order and encoded pieces kept beside a state encode as a state built afresh',
    fc.property(runArb(true), ({ a, b }) => [a, b, mergeDotMaps(a, b)].every((s) => hex(s) === hex(fresh(s)))),
    RUNS,
  );
});

function write(base: DotMapState, actor: string, f: (w: DotMapWrite) => void, ts = 1000): DotMapState {
  const w = new DotMapWrite(base, actor, ts);
  f(w);
  return w.done();
}

const members = (s: DotMapState): string[] => [...s.entries.keys()].sort();

t.test('add-wins: a concurrent add and remove of one member leave it present', async (t) => {
  const shared = write(emptyDotMap(), 'a', (w) => w.set('m', Buffer.alloc(0)));
  const removed = write(shared, 'a', (w) => t.ok(w.remove('m')));
  const readded = write(shared, 'b', (w) => w.set('m', Buffer.alloc(0)));
  t.same(members(removed), []);
  const m1 = mergeDotMaps(removed, readded);
  const m2 = mergeDotMaps(readded, removed);
  t.same(members(m1), ['m']);
  t.equal(hex(m1), hex(m2));
  t.same(
    m1.entries.get('m')!.map((e) => e.dot),
    [{ node: 'b', counter: 1 }],
    'only the add the remove did not see is left',
  );
  // The remove that did see the second add takes it away too.
  const both = write(m1, 'c', (w) => w.remove('m'));
  t.same(members(mergeDotMaps(both, readded)), []);
  t.same(members(mergeDotMaps(removed, mergeDotMaps(both, readded))), []);
});

t.test('concurrent writes of one field keep both values, sorted by dot; a write that saw both replaces both', async (t) => {
  const x = write(emptyDotMap(), 'b', (w) => w.set('f', Buffer.from('from b')), 1000);
  const y = write(emptyDotMap(), 'a', (w) => w.set('f', Buffer.from('from a')), 1001);
  const m = mergeDotMaps(x, y);
  t.same(
    m.entries.get('f')!.map((e) => e.value.toString()),
    ['from a', 'from b'],
  );
  t.same(m.clock, { a: 1, b: 1 });
  const over = write(m, 'c', (w) => {
    w.set('f', Buffer.from('one'));
    w.set('g', Buffer.from('two'));
  });
  t.same(over.entries.get('f')!.map((e) => e.dot), [{ node: 'c', counter: 1 }]);
  t.same(over.entries.get('g')!.map((e) => e.dot), [{ node: 'c', counter: 1 }], 'one dot per write, shared by its entries');
  t.same(members(mergeDotMaps(over, x)), ['f', 'g']);
  t.same(mergeDotMaps(over, x).entries.get('f')!.length, 1);
});

t.test('DotMapWrite: reads its own writes; remove answers whether there was an entry; no dot without a set', async (t) => {
  const base = write(emptyDotMap(), 'a', (w) => w.set('k', Buffer.from('1'), true));
  t.equal(base.entries.get('k')![0]!.counter, true, 'a counter entry');
  const w = new DotMapWrite(base, 'a', 5);
  t.equal(w.size, 1);
  t.ok(w.has('k'));
  t.notOk(w.has('nope'));
  t.same([...w.names()], ['k']);
  t.notOk(w.remove('nope'));
  t.ok(w.remove('k'));
  t.equal(w.get('k'), undefined);
  const out = w.done();
  t.same(out.clock, { a: 1 }, 'a write that only removes takes no new dot');
  t.equal(out.entries.size, 0);
  t.equal(base.entries.size, 1, 'the base state is not changed');
  t.same(out.origin, NO_ORIGIN);
});

t.test('between origins the newer wins whole', async (t) => {
  const old = write(emptyDotMap(ORIGINS[0]), 'a', (w) => w.set('x', Buffer.from('old')));
  const fresh = write(emptyDotMap(ORIGINS[1]), 'b', (w) => w.set('y', Buffer.from('new')));
  t.equal(mergeDotMaps(old, fresh), fresh);
  t.equal(mergeDotMaps(fresh, old), fresh);
  // Equal times: the node orders them.
  const other = write(emptyDotMap(ORIGINS[2]), 'c', (w) => w.set('z', Buffer.alloc(0)));
  t.equal(mergeDotMaps(fresh, other), other);
});

t.test('codec: round trip of names in any bytes, counters, empty states', async (t) => {
  const s = write(emptyDotMap({ ts: 12.5, node: 'nödé', counter: 3 }), 'actor-é', (w) => {
    w.set(Buffer.from([0, 255, 128]).toString('latin1'), Buffer.from([1, 2, 3]));
    w.set('', Buffer.alloc(0));
    w.set('c', Buffer.from('counter state'), true);
  });
  const back = decodeDotMap(encodeDotMap(s));
  t.same(back.origin, { ts: 12.5, node: 'nödé', counter: 3 });
  t.same(back.clock, { 'actor-é': 1 });
  t.same([...back.entries.keys()].sort(), ['', '\u0000ÿ\u0080', 'c']);
  t.same(back.entries.get('\u0000ÿ\u0080')![0]!.value, Buffer.from([1, 2, 3]));
  t.equal(back.entries.get('c')![0]!.counter, true);
  t.equal(back.entries.get('')![0]!.counter, undefined);
  t.equal(hex(back), hex(s));
  const empty = decodeDotMap(encodeDotMap(emptyDotMap()));
  t.same(empty.origin, NO_ORIGIN);
  t.equal(empty.entries.size, 0);
  // Equal states in any insertion order encode to equal bytes.
  const xy = write(emptyDotMap(), 'a', (w) => (w.set('x', Buffer.from('1')), w.set('y', Buffer.from('2'))));
  const yx = write(emptyDotMap(), 'a', (w) => (w.set('y', Buffer.from('2')), w.set('x', Buffer.from('1'))));
  t.equal(hex(xy), hex(yx));
});

interface RawEntry {
  idx: number;
  counter: number;
  ts?: number;
  flags?: number;
  value?: string;
}

/** Hand-made encodings, to feed the decoder what encodeDotMap never writes. */
function raw(opts: {
  format?: number;
  originTs?: number;
  clock?: Array<[string, number]>;
  names?: Array<[string, RawEntry[]]>;
  trailing?: boolean;
}): Buffer {
  const w = new Writer();
  w.u8(opts.format ?? 1);
  w.f64(opts.originTs ?? 0);
  w.bytes(Buffer.from('o'));
  w.varint(1);
  const clock = opts.clock ?? [['a', 2]];
  w.varint(clock.length);
  for (const [id, n] of clock) {
    w.bytes(Buffer.from(id));
    w.varint(n);
  }
  const names = opts.names ?? [];
  w.varint(names.length);
  for (const [name, es] of names) {
    w.bytes(Buffer.from(name, 'latin1'));
    w.varint(es.length);
    for (const e of es) {
      w.varint(e.idx);
      w.varint(e.counter);
      w.f64(e.ts ?? 1);
      w.u8(e.flags ?? 0);
      w.bytes(Buffer.from(e.value ?? ''));
    }
  }
  if (opts.trailing) w.u8(0);
  return Buffer.from(w.done());
}

t.test('codec: refuses corrupt input', async (t) => {
  const good = raw({ names: [['x', [{ idx: 0, counter: 2 }]]] });
  t.same(members(decodeDotMap(good)), ['x'], 'the hand-made encoding itself decodes');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty input', Buffer.alloc(0), /truncated/],
    ['unknown format byte', raw({ format: 2 }), /unknown collection format/],
    ['format byte zero', raw({ format: 0 }), /unknown collection format/],
    ['origin time NaN', raw({ originTs: NaN }), /origin time is not a number/],
    ['origin time infinite', raw({ originTs: Infinity }), /origin time is not a number/],
    ['duplicate context entry', raw({ clock: [['a', 1], ['a', 2]] }), /duplicate context entry/],
    ['duplicate names', raw({ names: [['x', [{ idx: 0, counter: 1 }]], ['x', [{ idx: 0, counter: 2 }]]] }), /duplicate collection name/],
    ['dot past the context', raw({ names: [['x', [{ idx: 0, counter: 3 }]]] }), /entry dot outside the context/],
    ['dot counter zero', raw({ names: [['x', [{ idx: 0, counter: 0 }]]] }), /entry dot outside the context/],
    ['dot of an actor outside the context', raw({ names: [['x', [{ idx: 1, counter: 1 }]]] }), /entry dot index out of range/],
    ['entry time NaN', raw({ names: [['x', [{ idx: 0, counter: 1, ts: NaN }]]] }), /entry time is not a number/],
    ['name without entries', raw({ names: [['x', []]] }), /collection name without entries/],
    ['trailing bytes', raw({ trailing: true }), /trailing bytes/],
    ['names out of order', raw({ names: [['y', [{ idx: 0, counter: 1 }]], ['x', [{ idx: 0, counter: 2 }]]] }), /collection names out of order/],
  ];
  for (const [what, buf, why] of cases) t.throws(() => decodeDotMap(buf), { code: 'ERR', message: why }, what);

  const real = encodeDotMap(
    write(write(emptyDotMap({ ts: 3, node: 'n', counter: 1 }), 'a', (w) => w.set('x', Buffer.from('xv'))), 'b', (w) => w.set('y', Buffer.from('yv'), true)),
  );
  for (let n = 0; n < real.length; n++) t.throws(() => decodeDotMap(real.subarray(0, n)), { message: /corrupt version data/ }, `truncated to ${n} bytes`);
});

t.test('encodeDotMap refuses an entry whose actor is not in the context', async (t) => {
  const s: DotMapState = {
    origin: NO_ORIGIN,
    clock: { a: 1 },
    entries: new Map([['x', [{ dot: { node: 'b', counter: 1 }, ts: 1, value: Buffer.alloc(0), tombstone: false, expireAt: 0 }]]]),
  };
  t.throws(() => encodeDotMap(s), { message: /entry dot outside the context/ });
});

t.test('a merge orders one name\'s entries by actor, then counter', async (t) => {
  // Two entries of one actor under one name: not a state writes make, but one the decoder accepts.
  const a = decodeDotMap(raw({ clock: [['a', 2]], names: [['x', [{ idx: 0, counter: 2 }, { idx: 0, counter: 1 }]]] }));
  const b = decodeDotMap(raw({ clock: [['a', 2], ['c', 1]], names: [['x', [{ idx: 0, counter: 1 }, { idx: 0, counter: 2 }, { idx: 1, counter: 1 }]]] }));
  t.same(
    mergeDotMaps(a, b).entries.get('x')!.map((e) => `${e.dot.node}:${e.dot.counter}`),
    ['a:1', 'a:2', 'c:1'],
  );
});
