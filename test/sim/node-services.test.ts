import t from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { IncarnationEngine } from './incarnation-engine.js';
import type { NodeContext, NodeService } from './node-services.js';
import { runUntil, SimClock } from './scheduler.js';
import { runSeed } from './simulate.js';

t.test('plugged-in services start with each incarnation, tick, answer their requests and repair', async (t) => {
  const seen = { starts: 0, stops: 0, ticks: 0, repairs: 0, pongs: 0, incarnations: new Set<string>() };
  const make = (ctx: NodeContext): NodeService => ({
    name: 'probe',
    requestPrefixes: ['x.'],
    handleRequest: async (from) => ({ pong: ctx.id, from }),
    start: () => {
      seen.starts++;
      seen.incarnations.add(`${ctx.id}#${ctx.incarnation}`);
    },
    stop: () => void seen.stops++,
    tick: () => void seen.ticks++,
    repair: async () => {
      seen.repairs++;
      const peer = ctx.id === 'n0' ? 'n1' : 'n0';
      const reply = (await ctx.endpoint.rpc.request(peer, { type: 'x.ping' })) as { pong: string; from: string };
      if (reply.pong === peer && reply.from === ctx.id) seen.pongs++;
    },
  });
  const r = await runSeed(3, { ops: 40, plugins: { services: [make] } });
  t.equal(r.failure, null);
  t.ok(seen.starts > 5, `every node started it, restarts too (${seen.starts} starts)`);
  t.equal(seen.incarnations.size, seen.starts, 'once per incarnation');
  t.ok(seen.ticks > 10, 'ticked');
  t.ok(seen.repairs >= 5 && seen.pongs === seen.repairs, 'repair rounds ran and reached peers through the service');
  t.equal(seen.stops, 5, 'stopped in order at the end');
});

t.test('a crash loses the batches that have not landed, and only those', async (t) => {
  const clock = new SimClock();
  const disk = new MemoryEngine();
  await disk.open();
  const engine = new IncarnationEngine(disk, clock, new SeededRng(1), 5);
  const put = (k: string) => ({ type: 'put' as const, key: Buffer.from(k), value: Buffer.from('v') });
  let landed = false;
  void engine.write([put('a')], true).then(() => (landed = true));
  t.ok(await runUntil(clock, () => landed, clock.now() + 10), 'the first batch lands');
  void engine.write([put('b')], true);
  t.equal(engine.inFlight, 1);
  engine.crash();
  await runUntil(clock, () => false, clock.now() + 10);
  t.ok(await disk.get(Buffer.from('a')), 'a landed batch survives');
  t.equal(await disk.get(Buffer.from('b')), undefined, 'an unlanded batch is lost');
  await t.rejects(engine.get(Buffer.from('a')), /crashed/, 'the dead process cannot read');
  await t.rejects(engine.write([put('c')], true), /crashed/, 'nor write');
});
