import t from 'tap';
import { error, type Reply } from '../../resp/reply.js';
import { QkvError } from '../../src/core/errors.js';
import type { RoutedScript } from '../../src/commands/types.js';
import { ScriptRouting, SCRIPT_RUN, routedSession } from '../../src/server/script-routing.js';

/**
 * The entry node's choice of where a script runs, and the home node's
 * answer, with peers as functions: which replica is asked, which refusals
 * pass the script on, and which errors end it.
 */

const script: RoutedScript = { body: Buffer.from('return 1'), keys: [Buffer.from('k')], argv: [Buffer.from('a')], readOnly: false, protocol: 2 };

function routing(opts: { replicas: string[]; down?: string[]; answer: (peer: string, msg: unknown) => Promise<unknown> }) {
  const asked: string[] = [];
  const r = new ScriptRouting({
    self: 'me',
    replicasOf: () => opts.replicas,
    isReachable: (id) => !(opts.down ?? []).includes(id),
    call: (peer, msg) => {
      asked.push(peer);
      return opts.answer(peer, msg);
    },
    timeoutMs: () => 1000,
  });
  return { r, asked };
}

t.test('the first reachable replica runs it; this node when it comes first', async (t) => {
  const here = routing({ replicas: ['me', 'b'], answer: async () => ({ resp: Buffer.from(':1\r\n') }) });
  t.equal(await here.r.runAtHome(script), undefined, 'this node is the first replica: run here');
  t.same(here.asked, []);
  const away = routing({ replicas: ['a', 'b', 'me'], down: ['a'], answer: async () => ({ resp: Buffer.from(':1\r\n') }) });
  t.same(await away.r.runAtHome(script), { t: 'raw', v: Buffer.from(':1\r\n') }, "the home's bytes pass through");
  t.same(away.asked, ['b'], 'an unreachable replica is passed over');
});

t.test('a replica that ran nothing passes the script on; one that may have run it ends it', async (t) => {
  for (const reason of ['not-sent', 'not-a-replica', 'forming', 'unknown-request'] as const) {
    const r = routing({
      replicas: ['a', 'b', 'me'],
      answer: async (peer) => {
        if (peer === 'a') throw new QkvError('UNAVAILABLE', 'no', reason);
        return { err: 'ERR from b' };
      },
    });
    t.same(await r.r.runAtHome(script), error('ERR from b'), `${reason}: the next replica answers, and its error stays an error`);
    t.same(r.asked, ['a', 'b']);
  }
  const both = routing({ replicas: ['a', 'me'], answer: async () => Promise.reject(new QkvError('UNAVAILABLE', 'no', 'not-sent')) });
  t.equal(await both.r.runAtHome(script), undefined, 'every replica before this one ran nothing: run here');
  const lost = routing({ replicas: ['a', 'b'], answer: async () => Promise.reject(new QkvError('TIMEOUT', 'no reply in 1000 ms')) });
  const reply = (await lost.r.runAtHome(script)) as Reply & { v: string };
  t.match(reply, { t: 'error', v: /^TIMEOUT the script was sent to a, which did not answer \(no reply in 1000 ms\); its writes may have been applied$/ });
  t.same(lost.asked, ['a'], 'not sent again');
  const odd = routing({ replicas: ['a'], answer: async () => ({ something: 'else' }) });
  t.match(await odd.r.runAtHome(script), { t: 'error', v: /not a reply/ }, 'an answer that is not a reply is an error');
});

t.test('the home node checks the request, its own view, and encodes for the caller', async (t) => {
  const ran: RoutedScript[] = [];
  const r = new ScriptRouting({ self: 'me', replicasOf: (k) => (k.toString() === 'mine' ? ['x', 'me'] : ['x', 'y']), isReachable: () => true, call: async () => null, timeoutMs: () => 1 });
  const msg = { type: SCRIPT_RUN, body: Buffer.from('return 1'), keys: [Buffer.from('mine')], argv: [], ro: true, proto: 3 };
  t.ok(r.handles(msg));
  t.notOk(r.handles({ type: 'p.publish' }));
  const reasonOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'answered', (e: QkvError) => e.reason);
  t.equal(await reasonOf(r.handleRequest('x', msg)), 'forming', 'nothing attached yet: refused as not ready');
  r.attach(async (s) => {
    ran.push(s);
    return s.keys[0]!.toString() === 'mine' ? { t: 'null' } : error('ERR boom');
  });
  t.same(await r.handleRequest('x', msg), { resp: Buffer.from('_\r\n') }, 'encoded in the caller protocol (RESP3 null)');
  t.same(ran[0], { body: msg.body, keys: msg.keys, argv: [], readOnly: true, protocol: 3 });
  t.equal(await reasonOf(r.handleRequest('x', { ...msg, keys: [Buffer.from('theirs')] })), 'not-a-replica', 'not a replica in its own view');
  await t.rejects(r.handleRequest('x', { ...msg, keys: [] }), /bad request/, 'no keys');
  await t.rejects(r.handleRequest('x', { ...msg, proto: 4 }), /bad request/, 'a protocol that is not 2 or 3');
  await t.rejects(r.handleRequest('x', { ...msg, argv: ['text'] }), /bad request/, 'arguments that are not bytes');
  const s = routedSession(-1, 3, 5);
  t.equal(s.id, -1);
  t.equal(s.protocol, 3);
});

t.test("the calling client's ACL user travels with the script", async (t) => {
  let sent: unknown;
  const away = routing({ replicas: ['a'], answer: async (_p, msg) => ((sent = msg), { resp: Buffer.from(':1\r\n') }) });
  await away.r.runAtHome({ ...script, user: 'alice' });
  t.equal((sent as { user?: string }).user, 'alice');
  await away.r.runAtHome(script);
  t.notOk('user' in (sent as object), 'the default user is not named');
  const ran: RoutedScript[] = [];
  const home = new ScriptRouting({ self: 'me', replicasOf: () => ['me'], isReachable: () => true, call: async () => null, timeoutMs: () => 1 });
  home.attach(async (s) => (ran.push(s), { t: 'null' }));
  const msg = { type: SCRIPT_RUN, body: Buffer.from('return 1'), keys: [Buffer.from('k')], argv: [], ro: true, proto: 2, user: 'alice' };
  await home.handleRequest('x', msg);
  t.equal(ran[0]!.user, 'alice');
  await t.rejects(home.handleRequest('x', { ...msg, user: 7 }), /x.eval user must be a string/);
  t.equal(routedSession(-2, 2, 0, 'alice').user, 'alice');
  t.equal(routedSession(-2, 2, 0).user, undefined);
});
