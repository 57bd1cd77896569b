import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import type { MemberView } from '../../src/coordinator/data-path.js';
import type { NodeContext, SimCoordinator } from './node-services.js';
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
      handleRequest: (from, msg) => ((msg as { type?: string }).type === 'r.merge' ? Promise.resolve({ ok: true }) : c.handleRequest(from, msg)),
    })),
  );
  t.ok(f, 'caught');
  t.match(f?.invariant, /^(replicas-converge|no-lost-write|read-sees-acked)$/);
});

t.test('an error that is not a QkvError is caught', async (t) => {
  const f = await firstFailure(planted(() => ({ update: async () => Promise.reject(new TypeError('boom')) })));
  t.equal(f?.invariant, 'only-expected-errors');
});
