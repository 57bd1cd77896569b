import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import type { MemberView } from '../../src/coordinator/data-path.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import type { NodeContext, SimCoordinator } from './node-services.js';
import { Oracle } from './oracle.js';
import { SCENARIOS } from './scenarios.js';
import { describeFailure } from './report.js';
import { defaultCoordinator } from './sim-node.js';
import { runSeed, type SimOptions } from './simulate.js';

/** A node whose coordinator is the real one with one call changed. */
function planted(change: (c: SimCoordinator) => Partial<SimCoordinator>): Partial<SimOptions> {
  return {
    plugins: {
      coordinator: (ctx: NodeContext, members: MemberView) => {
        const c = defaultCoordinator(ctx, members);
        const base: SimCoordinator = {
          n: c.n,
          get r() {
            return c.r;
          },
          get w() {
            return c.w;
          },
          read: (k, o) => c.read(k, o),
          readMany: (k, o) => c.readMany(k, o),
          write: (k, req, o) => c.write(k, req, o),
          update: (k, d, o) => c.update(k, d, o),
          readLocal: (k) => c.readLocal(k),
          scan: (cur, n) => c.scan(cur, n),
          dbsize: () => c.dbsize(),
          flushAll: () => c.flushAll(),
          handleRequest: (from, msg) => c.handleRequest(from, msg),
        };
        return { ...base, ...change(c) };
      },
    },
  };
}

/** The invariants the first failing seed of 1..20 broke, or null if none failed. */
async function firstFailure(options: Partial<SimOptions>): Promise<{ invariant: string; text: string } | null> {
  for (let seed = 1; seed <= 20; seed++) {
    const r = await runSeed(seed, options);
    if (r.failure) return { invariant: r.failure.invariant, text: describeFailure(r, options) };
  }
  return null;
}

t.test('a blind write that removes what it did not see is a lost write', async (t) => {
  const f = await firstFailure(
    planted((c) => ({
      write: (k, req: WriteRequest, o) => c.write(k, req.supersedes.kind === 'blind' ? { ...req, supersedes: { kind: 'local' } } : req, o),
    })),
  );
  t.ok(f, 'caught');
  t.match(f?.invariant, /^(no-lost-write|siblings-concurrent)$/);
  t.match(f?.text, /replay: npm run sim -- --seed \d+ --profile basic --verbose/);
});

t.test('an acknowledgement without the write is caught at the step', async (t) => {
  const f = await firstFailure(planted(() => ({ write: async () => ({ clock: {}, siblings: [] }) })));
  t.equal(f?.invariant, 'ack-holds-write');
  t.match(f?.text, /at step \d+/);
});

t.test('a quorum read that misses an acknowledged write is caught', async (t) => {
  const f = await firstFailure(planted(() => ({ read: async () => undefined })));
  t.equal(f?.invariant, 'read-sees-acked');
});

t.test('replicas that never converge are caught after repair', async (t) => {
  // Replicas ignore merges (they answer but keep their copy), so read repair cannot make them agree.
  const f = await firstFailure(
    planted((c) => ({
      handleRequest: async (from, msg) => {
        const m = msg as { type?: string; items?: unknown[][] };
        if (m.type === 'r.merge') return { ok: true };
        if (m.type !== 'r.batch' || !Array.isArray(m.items)) return c.handleRequest(from, msg);
        // In a frame, merges are acknowledged untouched and everything else is served.
        const served = m.items.filter((it) => it[0] !== 'm');
        const reply = served.length > 0 ? ((await c.handleRequest(from, { ...m, items: served })) as { results: unknown[] }) : { results: [] };
        let j = 0;
        return { results: m.items.map((it) => (it[0] === 'm' ? [0] : reply.results[j++])) };
      },
    })),
  );
  t.ok(f, 'caught');
  t.match(f?.invariant, /^(replicas-converge|no-lost-write|read-sees-acked)$/);
});

t.test('an error that is not a QkvError is caught', async (t) => {
  const f = await firstFailure(planted(() => ({ update: async () => Promise.reject(new TypeError('boom')) })));
  t.equal(f?.invariant, 'only-expected-errors');
});

t.test('a node that forgets the dots it issued (a plain node id as actor) is caught after a wipe', async (t) => {
  // The actor before actors: every start counts from the key's stored clock again.
  const forgetful: Partial<SimOptions> = {
    ...SCENARIOS.wipe,
    plugins: { coordinator: (ctx: NodeContext, members: MemberView) => defaultCoordinator({ ...ctx, actor: new DotIssuer(ctx.id) }, members) },
  };
  let caught: { invariant: string; all: number; ops: number } | null = null;
  for (let seed = 1; seed <= 20 && !caught; seed++) {
    const r = await runSeed(seed, forgetful);
    if (r.failure) caught = { invariant: r.failure.invariant, all: r.failure.all.length, ops: r.ops };
  }
  t.ok(caught, 'caught');
  t.match(caught?.invariant, /^(dot-unique|no-lost-write)$/);
  t.equal(caught?.ops, 80, 'the run went on to the end after the first violation');
});

t.test('a write whose context was read before another write was issued cannot have superseded it', async (t) => {
  const oracle = new Oracle();
  const obj = (node: string, counter: number, value: string, clock: Record<string, number>) => ({
    clock,
    siblings: [{ dot: { node, counter }, value: Buffer.from(value), tombstone: false, ts: 0, expireAt: 0 }],
  });
  // c2 read its context {n1~1: 1} before b1 was issued, so it cannot have seen b1 (a reused dot would cover it).
  const c2 = oracle.begin({ op: 2, key: 'k', value: 'a2', kind: 'add', ctx: { 'n1~1': 1 }, startedAt: 0 });
  const b1 = oracle.begin({ op: 1, key: 'k', value: 'b1', kind: 'blind', ctx: null, startedAt: 0 });
  oracle.observePut('n1', 'k', obj('n1~1', 1, 'b1', { 'n1~1': 1 }));
  oracle.acked(b1, undefined, 1);
  oracle.observePut('n2', 'k', obj('n2~1', 1, 'a2', { 'n1~1': 1, 'n2~1': 1 }));
  oracle.acked(c2, undefined, 2);
  oracle.checkFinal('k', obj('n2~1', 1, 'a2', { 'n1~1': 1, 'n2~1': 1 }));
  t.match(oracle.violations.map((v) => v.invariant), ['no-lost-write']);

  // The same history with the context read after b1 was issued: b1 was superseded.
  const fair = new Oracle();
  const b = fair.begin({ op: 1, key: 'k', value: 'b1', kind: 'blind', ctx: null, startedAt: 0 });
  fair.observePut('n1', 'k', obj('n1~1', 1, 'b1', { 'n1~1': 1 }));
  fair.acked(b, undefined, 1);
  const c = fair.begin({ op: 2, key: 'k', value: 'a2', kind: 'add', ctx: { 'n1~1': 1 }, startedAt: 0 });
  fair.observePut('n2', 'k', obj('n2~1', 1, 'a2', { 'n1~1': 1, 'n2~1': 1 }));
  fair.acked(c, undefined, 2);
  fair.checkFinal('k', obj('n2~1', 1, 'a2', { 'n1~1': 1, 'n2~1': 1 }));
  t.same(fair.violations, []);
});

t.test('a dot issued twice is a violation even when the first put failed', async (t) => {
  const oracle = new Oracle();
  const one = (value: string) => ({ clock: { 'n1~1': 1 }, siblings: [{ dot: { node: 'n1~1', counter: 1 }, value: Buffer.from(value), tombstone: false, ts: 0, expireAt: 0 }] });
  oracle.begin({ op: 1, key: 'k', value: 'p1', kind: 'plain', ctx: null, startedAt: 0 });
  oracle.begin({ op: 2, key: 'k', value: 'p2', kind: 'plain', ctx: null, startedAt: 0 });
  oracle.observePut('n1', 'k', one('p1'));
  oracle.observePut('n1', 'k', one('p2'));
  t.match(oracle.violations.map((v) => v.invariant), ['dot-unique']);
});
