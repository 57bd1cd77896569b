import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { AclStore } from '../../src/acl/acl-store.js';
import { AclSync } from '../../src/acl/acl-sync.js';
import { aclCatalog } from '../../src/commands/acl-guard.js';
import { allCommands } from '../../src/commands/index.js';
import { buildTable } from '../../src/commands/table.js';

// ACL sync between nodes over a fake peer network: a change is pushed at
// once, a node that missed it catches up at the next version exchange, the
// newest version wins, and bad messages are refused.

const catalog = aclCatalog(buildTable(allCommands));

interface Node {
  readonly id: string;
  readonly store: AclStore;
  readonly sync: AclSync;
}

function cluster(ids: string[]) {
  const clock = new ManualClock(1_000_000);
  const down = new Set<string>();
  const nodes = new Map<string, Node>();
  const logs: string[] = [];
  for (const id of ids) {
    const store = new AclStore(catalog, id, () => clock.now());
    const sync = new AclSync({
      request: async (peer, msg) => {
        if (down.has(peer) || down.has(id)) throw new Error(`${peer} unreachable`);
        return nodes.get(peer)!.sync.handleRequest(id, structuredClone(msg));
      },
      peers: () => ids.filter((p) => p !== id),
      clock,
      intervalMs: 1000,
      log: (level, msg) => logs.push(`${level} ${msg}`),
    });
    nodes.set(id, { id, store, sync });
  }
  for (const n of nodes.values()) n.sync.attach(n.store);
  const settle = () => new Promise((r) => setImmediate(r));
  return { clock, down, nodes, logs, settle };
}

t.test('a change reaches every node at once', async (t) => {
  const c = cluster(['a', 'b', 'c']);
  c.nodes.get('a')!.store.setUser('alice', ['on', '>pw', '+get']);
  await c.settle();
  for (const id of ['b', 'c']) {
    t.ok(c.nodes.get(id)!.store.authenticate('alice', Buffer.from('pw')), `${id} knows alice`);
    t.same(c.nodes.get(id)!.store.version, c.nodes.get('a')!.store.version);
  }
  for (const n of c.nodes.values()) n.sync.stop();
});

t.test('a node that was down catches up at the next exchange, either way', async (t) => {
  const c = cluster(['a', 'b']);
  c.down.add('b');
  c.nodes.get('a')!.store.setUser('alice', ['on', 'nopass']);
  await c.settle();
  t.equal(c.nodes.get('b')!.store.get('alice'), undefined, 'b missed the push');
  t.match(c.logs.join('\n'), /ACL sync with a peer failed/);
  c.down.delete('b');
  c.clock.advance(1000);
  await c.settle();
  await c.settle();
  t.ok(c.nodes.get('b')!.store.get('alice'), 'b has alice after one interval');
  // b makes a later change while a is down: a gets it when it is back.
  c.down.add('a');
  c.clock.advance(10);
  c.nodes.get('b')!.store.deleteUsers(['alice']);
  await c.settle();
  c.down.delete('a');
  c.clock.advance(1000);
  await c.settle();
  await c.settle();
  t.equal(c.nodes.get('a')!.store.get('alice'), undefined, 'the later delete won');
  for (const n of c.nodes.values()) n.sync.stop();
});

t.test('the newest version wins whole; older pushes are answered with the newer state', async (t) => {
  const c = cluster(['a', 'b']);
  const a = c.nodes.get('a')!;
  const b = c.nodes.get('b')!;
  c.down.add('b');
  a.store.setUser('x', ['on']);
  c.clock.advance(5);
  c.down.delete('b');
  c.down.add('a');
  b.store.setUser('y', ['on']);
  await c.settle();
  c.down.delete('a');
  // a pushes its older state to b: b answers with its newer one.
  const reply = await b.sync.handleRequest('a', { type: 'l.state', at: a.store.version.at, node: 'a', text: a.store.toText() });
  t.ok((reply as { state?: unknown }).state, 'the newer side answers with its state');
  c.clock.advance(1000);
  await c.settle();
  await c.settle();
  t.same(a.store.names(), ['default', 'y'], 'last writer wins: y replaced x');
  t.same(await b.sync.handleRequest('a', { type: 'l.version', at: b.store.version.at, node: b.store.version.node }), {}, 'equal versions: nothing to do');
  t.same(await b.sync.handleRequest('a', { type: 'l.version', at: b.store.version.at + 1, node: 'a' }), { want: true });
  for (const n of c.nodes.values()) n.sync.stop();
});

t.test('bad messages are refused; a state that does not parse is not adopted', async (t) => {
  const c = cluster(['a', 'b']);
  const b = c.nodes.get('b')!;
  await t.rejects(b.sync.handleRequest('a', { type: 'l.state' }), /ACL sync needs at and node/);
  await t.rejects(b.sync.handleRequest('a', { type: 'l.state', at: 5e12, node: 'a' }), /l.state needs text/);
  await b.sync.handleRequest('a', { type: 'l.state', at: 5e12, node: 'a', text: 'user x +nocmd\n' });
  t.same(b.store.names(), ['default']);
  t.match(c.logs.join('\n'), /ACL state from a peer refused/);
  t.ok(b.sync.handles({ type: 'l.version' }));
  t.notOk(b.sync.handles({ type: 'p.publish' }));
  t.notOk(b.sync.handles(null));
  const lone = new AclSync({ request: async () => ({}), peers: () => [], clock: c.clock });
  t.same(await lone.handleRequest('a', { type: 'l.version', at: 1, node: 'a' }), {}, 'no store attached: nothing to say');
  lone.stop();
  for (const n of c.nodes.values()) n.sync.stop();
});
