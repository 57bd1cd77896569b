import t from 'tap';
import { ReplyEncoder } from '../../resp/index.js';
import type { Reply } from '../../resp/reply.js';
import { pubsubCommands } from '../../src/commands/pubsub.js';
import type { CommandContext, CommandSpec } from '../../src/commands/types.js';
import { parseKeyspaceEvents } from '../../src/config/keyspace-events.js';
import { PubSubHub } from '../../src/pubsub/hub.js';
import { KeyspaceNotifier } from '../../src/pubsub/keyspace-notifier.js';
import { collectionCommands, dataCommands, makeHarness, plain, run, type Plain } from '../support/command-harness.js';

/**
 * Keyspace notifications over the command harness: a subscriber on
 * __key*__:* reads, as the bytes a client gets in RESP2 and RESP3, what each
 * write announces; a write that fails or changes nothing announces nothing.
 */

function wire(reply: Reply, protocol: 2 | 3): string {
  const enc = new ReplyEncoder();
  enc.write(reply, protocol);
  return Buffer.concat(enc.take()).toString('latin1');
}

function setup(protocol: 2 | 3, flags = 'KEA') {
  const hub = new PubSubHub();
  const keyspace = new KeyspaceNotifier(hub);
  keyspace.flags = parseKeyspaceEvents(flags);
  const h = makeHarness();
  const specs: CommandSpec[] = [...dataCommands, ...collectionCommands, ...pubsubCommands];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const table = { lookup: (n: string) => byName.get(n), all: () => specs };
  const writer: CommandContext = { ...h.ctx, pubsub: hub, keyspace, table };
  const session = { ...h.ctx.session, id: 2, protocol };
  const pushed: string[] = [];
  session.deliver = (r) => pushed.push(wire(r, protocol));
  const subscriber: CommandContext = { ...h.ctx, session, pubsub: hub, table };
  const call = async (name: string, ...args: string[]): Promise<Plain> => plain(await run(writer, name, ...args));
  /** What the last calls announced, as the subscriber read it; then forgotten. */
  const heard = (): string[] => pushed.splice(0);
  return { h, keyspace, call, heard, subscriber };
}

const b = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;

for (const protocol of [2, 3] as const) {
  const P = protocol === 2 ? '*' : '>';
  const pm = (channel: string, message: string): string => `${P}4\r\n${b('pmessage')}${b('__key*__:*')}${b(channel)}${b(message)}`;
  const ev = (...pairs: Array<[string, string]>): string[] => pairs.flatMap(([e, k]) => [pm(`__keyspace@0__:${k}`, e), pm(`__keyevent@0__:${e}`, k)]);

  t.test(`RESP${protocol}: writes announce Redis's events, failures and no-ops announce nothing`, async (t) => {
    const { call, heard, subscriber } = setup(protocol);
    await run(subscriber, 'PSUBSCRIBE', '__key*__:*');
    const steps: Array<[cmd: string[], reply: Plain, events: string[]]> = [
      [['SET', 'k', 'v', 'XX'], null, []],
      [['SET', 'k', 'v', 'GET'], null, ev(['set', 'k'])],
      [['SET', 'k', 'w', 'KEEPTTL'], 'OK', ev(['set', 'k'])],
      [['SET', 'k', 'w', 'NX', 'PX', '500'], null, []],
      [['PSETEX', 'p', '500', 'v'], 'OK', ev(['set', 'p'], ['expire', 'p'])],
      [['EXPIRE', 'p', '100', 'NX'], 0, []],
      [['EXPIREAT', 'p', '1'], 1, ev(['del', 'p'])],
      [['EXPIRE', 'p', '100'], 0, []],
      [['PEXPIRE', 'k', '0'], 1, ev(['del', 'k'])],
      [['SET', 'k', 'v'], 'OK', ev(['set', 'k'])],
      [['PEXPIREAT', 'k', '0'], 1, ev(['del', 'k'])],
      [['MSETNX', 'm', '1', 'm', '2'], 1, ev(['set', 'm'], ['set', 'm'])],
      [['MSETNX', 'm', '3', 'n', '4'], 0, []],
      [['GETEX', 'm', 'PERSIST'], '2', []],
      [['GETEX', 'm'], '2', []],
      [['GETEX', 'm', 'PXAT', '1'], '2', ev(['del', 'm'])],
      [['GETEX', 'none', 'EX', '10'], null, []],
      [['SETRANGE', 'none', '0', ''], 0, []],
      [['SETRANGE', 'r', '2', 'x'], 3, ev(['setrange', 'r'])],
      [['INCR', 'r'], { error: 'ERR value is not an integer or out of range' }, []],
      [['INCRBYFLOAT', 'r', '1'], { error: 'ERR value is not a valid float' }, []],
      [['DECRBY', 'c', '2'], -2, ev(['incrby', 'c'])],
      [['HSET', 'r', 'f', 'v'], { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, []],
      [['HSET', 'h', 'f', 'v'], 1, ev(['hset', 'h'])],
      [['APPEND', 'h', 'x'], { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, []],
      [['RENAME', 'none', 'x'], { error: 'ERR no such key' }, []],
      [['RENAME', 'h', 'h'], 'OK', []],
      [['RENAME', 'h', 'h2'], 'OK', ev(['rename_from', 'h'], ['rename_to', 'h2'])],
      [['HDEL', 'h2', 'f'], 1, ev(['hdel', 'h2'], ['del', 'h2'])],
      [['DEL', 'none', 'r', 'r'], 1, ev(['del', 'r'])],
      [['SADD', 's', 'a', 'b', 'c'], 3, ev(['sadd', 's'])],
      [['SPOP', 's', '0'], [], []],
      [['SPOP', 's', '5'], ['a', 'b', 'c'], ev(['spop', 's'], ['del', 's'])],
      [['SMOVE', 'none', 's', 'a'], 0, []],
      [['SADD', 'x', 'a'], 1, ev(['sadd', 'x'])],
      [['SADD', 'y', 'a'], 1, ev(['sadd', 'y'])],
      [['SMOVE', 'x', 'x', 'a'], 1, []],
      [['SMOVE', 'x', 'y', 'a'], 1, ev(['srem', 'x'], ['del', 'x'])],
      [['SINTERSTORE', 'd', 'none', 'y'], 0, []],
      [['SUNIONSTORE', 'd', 'y'], 1, ev(['sunionstore', 'd'])],
      [['SINTERSTORE', 'd', 'none', 'y'], 0, ev(['del', 'd'])],
      [['HINCRBY', 'hh', 'n', '1'], 1, ev(['hincrby', 'hh'])],
      [['HSETNX', 'hh', 'n', '5'], 0, []],
      [['HDEL', 'hh', 'zz'], 0, []],
    ];
    for (const [cmd, reply, events] of steps) {
      const got = await call(cmd[0]!, ...cmd.slice(1));
      t.same(Array.isArray(got) ? [...got].sort() : got, reply, `${cmd.join(' ')}: reply`);
      t.same(heard(), events, `${cmd.join(' ')}: events`);
    }
  });
}

t.test("with '' nothing is published and SINTERSTORE does not look at dst", async (t) => {
  const { h, call, heard, subscriber } = setup(2, '');
  await run(subscriber, 'PSUBSCRIBE', '__key*__:*');
  await call('SADD', 'y', 'a');
  await call('SUNIONSTORE', 'd', 'y');
  h.kv.calls.length = 0;
  t.equal(await call('SINTERSTORE', 'd', 'none', 'y'), 0);
  t.same(
    h.kv.calls.filter((c) => c.op !== 'write').map((c) => [c.op, c.keys]),
    [['readMany', ['none', 'y']]],
    'the sources are read, dst is not',
  );
  t.same(heard(), []);
});
