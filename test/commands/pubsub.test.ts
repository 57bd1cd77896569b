import t from 'tap';
import { ReplyEncoder } from '../../resp/index.js';
import type { Reply } from '../../resp/reply.js';
import { connectionCommands } from '../../src/commands/connection.js';
import { clientCommands, clientLine } from '../../src/commands/client.js';
import { pubsubCommands, subscribedModeRefusal } from '../../src/commands/pubsub.js';
import type { CommandContext, CommandSpec } from '../../src/commands/types.js';
import { PubSubHub } from '../../src/pubsub/hub.js';
import { makeHarness, run } from '../support/command-harness.js';

/**
 * The Pub/Sub commands over the command harness, each reply as the bytes a
 * client reads, in RESP2 and in RESP3 (where subscription answers and
 * messages are pushes).
 */

function wire(reply: Reply | string, protocol: 2 | 3): string {
  if (typeof reply === 'string') return `-${reply}\r\n`;
  const enc = new ReplyEncoder();
  enc.write(reply, protocol);
  return Buffer.concat(enc.take()).toString('latin1');
}

function client(hub: PubSubHub, protocol: 2 | 3, id = 1) {
  const h = makeHarness();
  const specs: CommandSpec[] = [...pubsubCommands, ...connectionCommands, ...clientCommands];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const session = { ...h.ctx.session, id, protocol };
  const ctx: CommandContext = { ...h.ctx, session, pubsub: hub, table: { lookup: (n) => byName.get(n), all: () => specs } };
  const pushed: string[] = [];
  session.deliver = (r) => pushed.push(wire(r, session.protocol));
  const call = async (name: string, ...args: string[]): Promise<string> => wire(await run(ctx, name, ...args), session.protocol);
  /** A subcommand (PUBSUB NUMSUB ...): the harness runs the container, so its subcommand is looked up here. */
  const sub = async (name: string, subName: string, ...args: string[]): Promise<string> => {
    const spec = byName.get(name)!.subcommands!.find((s) => s.name === subName)!;
    return wire(await spec.handler(ctx, args.map((a) => Buffer.from(a))), session.protocol);
  };
  return { call, sub, pushed, ctx, session };
}

const b = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const n = (i: number): string => `:${i}\r\n`;
const agg = (p: string, ...items: string[]): string => `${p}${items.length}\r\n${items.join('')}`;

for (const protocol of [2, 3] as const) {
  const P = protocol === 2 ? '*' : '>';
  const NIL = protocol === 2 ? '$-1\r\n' : '_\r\n';

  t.test(`RESP${protocol}: subscribe, publish, pattern and shard messages, unsubscribe`, async (t) => {
    const hub = new PubSubHub();
    const sub = client(hub, protocol, 1);
    const pub = client(hub, protocol, 2);
    t.equal(await sub.call('UNSUBSCRIBE'), agg(P, b('unsubscribe'), NIL, n(0)), 'nothing to leave: a nil channel');
    t.equal(await sub.call('PUNSUBSCRIBE'), agg(P, b('punsubscribe'), NIL, n(0)));
    t.equal(await sub.call('SUNSUBSCRIBE'), agg(P, b('sunsubscribe'), NIL, n(0)));
    t.equal(await sub.call('SUBSCRIBE', 'a', 'b', 'a'), agg(P, b('subscribe'), b('a'), n(1)) + agg(P, b('subscribe'), b('b'), n(2)) + agg(P, b('subscribe'), b('a'), n(2)));
    t.equal(await sub.call('PSUBSCRIBE', 'x*'), agg(P, b('psubscribe'), b('x*'), n(3)));
    t.equal(await sub.call('SSUBSCRIBE', 's1'), agg(P, b('ssubscribe'), b('s1'), n(1)), 'shard channels count apart');
    t.equal(await pub.call('PUBLISH', 'a', 'hello'), n(1));
    t.equal(await pub.call('PUBLISH', 'xa', 'pat'), n(1));
    t.equal(await pub.call('PUBLISH', 'zz', 'none'), n(0));
    t.equal(await pub.call('SPUBLISH', 's1', 'shard'), n(1));
    t.same(sub.pushed, [
      agg(P, b('message'), b('a'), b('hello')),
      agg(P, b('pmessage'), b('x*'), b('xa'), b('pat')),
      agg(P, b('smessage'), b('s1'), b('shard')),
    ]);
    t.equal(await pub.sub('pubsub', 'numsub', 'a', 'b', 'c'), agg('*', b('a'), n(1), b('b'), n(1), b('c'), n(0)));
    t.equal(await pub.sub('pubsub', 'numpat'), n(1));
    t.equal(await pub.sub('pubsub', 'channels', 'a*'), agg('*', b('a')));
    t.equal(await pub.sub('pubsub', 'shardchannels'), agg('*', b('s1')));
    t.equal(await pub.sub('pubsub', 'shardnumsub', 's1'), agg('*', b('s1'), n(1)));
    t.equal(await pub.sub('pubsub', 'channels', 'a', 'b'), "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n");
    t.equal(await sub.call('UNSUBSCRIBE', 'b', 'nope'), agg(P, b('unsubscribe'), b('b'), n(2)) + agg(P, b('unsubscribe'), b('nope'), n(2)));
    t.equal(await sub.call('UNSUBSCRIBE'), agg(P, b('unsubscribe'), b('a'), n(1)), 'no names: every channel');
    t.equal(await sub.call('PUNSUBSCRIBE'), agg(P, b('punsubscribe'), b('x*'), n(0)));
    t.equal(await sub.call('SUNSUBSCRIBE', 's1'), agg(P, b('sunsubscribe'), b('s1'), n(0)));
    t.equal(sub.session.pubsub!.subscribed, false);
    t.equal(await pub.call('PUBLISH', 'a', 'gone'), n(0));
  });

  t.test(`RESP${protocol}: PING, RESET and the commands a subscribed client may run`, async (t) => {
    const hub = new PubSubHub();
    const c = client(hub, protocol);
    await c.call('SUBSCRIBE', 'a');
    if (protocol === 2) {
      t.equal(await c.call('PING'), agg('*', b('pong'), b('')), 'subscribed in RESP2: pong as an array');
      t.equal(await c.call('PING', 'hi'), agg('*', b('pong'), b('hi')));
      t.same(subscribedModeRefusal(c.session, 'get'), {
        t: 'error',
        v: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      });
    } else {
      t.equal(await c.call('PING'), '+PONG\r\n', 'RESP3 has no subscribed mode');
      t.equal(subscribedModeRefusal(c.session, 'get'), null);
    }
    t.equal(subscribedModeRefusal(c.session, 'psubscribe'), null);
    t.match(clientLine({ session: c.session, idleSeconds: 0, queryBufferBytes: 0, outputBufferBytes: 0 }, 0), /flags=P db=0 sub=1 psub=0 ssub=0/);
    t.equal(await c.call('RESET'), '+RESET\r\n');
    t.equal(hub.registry.channelCount, 0, 'RESET ends every subscription');
    t.equal(subscribedModeRefusal(c.session, 'get'), null);
    t.equal(await c.call('PING'), '+PONG\r\n');
    t.match(clientLine({ session: c.session, idleSeconds: 0, queryBufferBytes: 0, outputBufferBytes: 0 }, 0), /flags=N db=0 sub=0 psub=0 ssub=0/);
  });
}

t.test('PUBSUB HELP is Redis 7.0 text; without a hub the commands refuse', async (t) => {
  const c = client(new PubSubHub(), 2);
  t.match(await c.sub('pubsub', 'help'), /^\*14\r\n\+PUBSUB <subcommand>/);
  const h = makeHarness();
  const spec = pubsubCommands.find((s) => s.name === 'publish')!;
  t.throws(() => spec.handler(h.ctx, [Buffer.from('c'), Buffer.from('m')]), { message: /Pub\/Sub is not available/ });
});

t.test('a message for a session without a connection goes nowhere', async (t) => {
  const hub = new PubSubHub();
  const c = client(hub, 2);
  delete c.session.deliver;
  await c.call('SUBSCRIBE', 'a');
  t.equal(hub.publish(Buffer.from('a'), Buffer.from('m')), 1);
});
