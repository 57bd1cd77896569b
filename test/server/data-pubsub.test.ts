import t from 'tap';
import { arity, bulk, err, int } from './diff-support.js';
import { checkTwoClientScript, type ScriptStep } from './two-client-script.js';

/**
 * Pub/Sub against Redis 7, byte for byte, in RESP2 and RESP3: two clients
 * (a subscriber and a publisher) run one script in lockstep on a QuorumKV
 * node and on redis-server; each step reads a known number of replies from
 * one client. Expected replies were recorded from redis-server 7.0.15, so
 * QuorumKV is checked against them even without redis-server.
 */

type Who = 'sub' | 'pub';
type Step = ScriptStep<Who>;

const NOT_ALLOWED = (cmd: string): string =>
  err(`ERR Can't execute '${cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);

function script(proto: 2 | 3): Step[] {
  const P = proto === 2 ? '*' : '>';
  const NIL = proto === 2 ? '$-1\r\n' : '_\r\n';
  const push = (...items: string[]): string => `${P}${items.length}\r\n${items.join('')}`;
  const arr = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;
  const note = (verb: string, name: string | null, n: number): string => push(bulk(verb), name === null ? NIL : bulk(name), int(n));
  return [
    // CLIENT REPLY OFF/SKIP silence replies, but not what Pub/Sub pushes.
    { on: 'sub', cmd: ['CLIENT', 'REPLY', 'OFF'], expect: [] },
    { on: 'sub', cmd: ['PING'], expect: [] },
    { on: 'sub', cmd: ['NOSUCHCOMMAND'], expect: [] },
    { on: 'sub', cmd: ['SUBSCRIBE', 'ps:r'], expect: [note('subscribe', 'ps:r', 1)] },
    { on: 'pub', cmd: ['PUBLISH', 'ps:r', 'quiet'], expect: [int(1)] },
    { on: 'sub', expect: [push(bulk('message'), bulk('ps:r'), bulk('quiet'))] },
    { on: 'sub', cmd: ['UNSUBSCRIBE', 'ps:r'], expect: [note('unsubscribe', 'ps:r', 0)] },
    { on: 'sub', cmd: ['CLIENT', 'REPLY', 'SKIP'], expect: [] },
    { on: 'sub', cmd: ['CLIENT', 'REPLY', 'ON'], expect: ['+OK\r\n'] },
    { on: 'sub', cmd: ['CLIENT', 'REPLY', 'SKIP'], expect: [] },
    { on: 'sub', cmd: ['PING', 'skipped'], expect: [] },
    { on: 'sub', cmd: ['PING', 'heard'], expect: [bulk('heard')] },
    { on: 'sub', cmd: ['CLIENT', 'REPLY', 'MAYBE'], expect: [err('ERR syntax error')] },
    { on: 'sub', cmd: ['UNSUBSCRIBE'], expect: [note('unsubscribe', null, 0)] },
    { on: 'sub', cmd: ['PUNSUBSCRIBE'], expect: [note('punsubscribe', null, 0)] },
    { on: 'sub', cmd: ['SUNSUBSCRIBE'], expect: [note('sunsubscribe', null, 0)] },
    { on: 'sub', cmd: ['SUBSCRIBE'], expect: [arity('subscribe')] },
    { on: 'sub', cmd: ['SUBSCRIBE', 'ps:a', 'ps:b', 'ps:a'], expect: [note('subscribe', 'ps:a', 1), note('subscribe', 'ps:b', 2), note('subscribe', 'ps:a', 2)] },
    { on: 'sub', cmd: ['PSUBSCRIBE', 'ps:x*', 'ps:[yz]?'], expect: [note('psubscribe', 'ps:x*', 3), note('psubscribe', 'ps:[yz]?', 4)] },
    { on: 'sub', cmd: ['SSUBSCRIBE', 'ps:s'], expect: [note('ssubscribe', 'ps:s', 1)] },
    ...(proto === 2
      ? [
          { on: 'sub' as const, cmd: ['PING'], expect: [arr(bulk('pong'), bulk(''))] },
          { on: 'sub' as const, cmd: ['PING', 'hi'], expect: [arr(bulk('pong'), bulk('hi'))] },
          { on: 'sub' as const, cmd: ['GET', 'k'], expect: [NOT_ALLOWED('get')] },
          { on: 'sub' as const, cmd: ['MULTI'], expect: [NOT_ALLOWED('multi')] },
          { on: 'sub' as const, cmd: ['CLIENT', 'ID'], expect: [NOT_ALLOWED('client|id')] },
          { on: 'sub' as const, cmd: ['PUBLISH', 'ps:a', 'x'], expect: [NOT_ALLOWED('publish')] },
        ]
      : [
          { on: 'sub' as const, cmd: ['PING'], expect: ['+PONG\r\n'] },
          { on: 'sub' as const, cmd: ['GET', 'ps:missing'], expect: ['_\r\n'] },
        ]),
    { on: 'pub', cmd: ['PUBLISH', 'ps:a', 'hello'], expect: [int(1)] },
    { on: 'sub', expect: [push(bulk('message'), bulk('ps:a'), bulk('hello'))] },
    { on: 'pub', cmd: ['PUBLISH', 'ps:xq', 'pattern'], expect: [int(1)] },
    { on: 'sub', expect: [push(bulk('pmessage'), bulk('ps:x*'), bulk('ps:xq'), bulk('pattern'))] },
    { on: 'pub', cmd: ['PUBLISH', 'ps:nobody', 'lost'], expect: [int(0)] },
    { on: 'pub', cmd: ['SPUBLISH', 'ps:s', 'shard'], expect: [int(1)] },
    { on: 'sub', expect: [push(bulk('smessage'), bulk('ps:s'), bulk('shard'))] },
    { on: 'pub', cmd: ['PUBLISH', 'ps:a'], expect: [arity('publish')] },
    { on: 'pub', cmd: ['PUBSUB', 'NUMSUB', 'ps:a', 'ps:b', 'ps:none'], expect: [arr(bulk('ps:a'), int(1), bulk('ps:b'), int(1), bulk('ps:none'), int(0))] },
    { on: 'pub', cmd: ['PUBSUB', 'NUMSUB'], expect: [arr()] },
    { on: 'pub', cmd: ['PUBSUB', 'NUMPAT'], expect: [int(2)] },
    { on: 'pub', cmd: ['PUBSUB', 'NUMPAT', 'x'], expect: [arity('pubsub|numpat')] },
    { on: 'pub', cmd: ['PUBSUB', 'CHANNELS', 'ps:b*'], expect: [arr(bulk('ps:b'))] },
    { on: 'pub', cmd: ['PUBSUB', 'CHANNELS', 'ps:a', 'x'], expect: [err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")] },
    { on: 'pub', cmd: ['PUBSUB', 'SHARDCHANNELS', 'ps:*'], expect: [arr(bulk('ps:s'))] },
    { on: 'pub', cmd: ['PUBSUB', 'SHARDNUMSUB', 'ps:s', 'ps:a'], expect: [arr(bulk('ps:s'), int(1), bulk('ps:a'), int(0))] },
    { on: 'pub', cmd: ['PUBSUB', 'FOO'], expect: [err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")] },
    { on: 'pub', cmd: ['PUBSUB'], expect: [arity('pubsub')] },
    { on: 'sub', cmd: ['UNSUBSCRIBE', 'ps:b', 'ps:never'], expect: [note('unsubscribe', 'ps:b', 3), note('unsubscribe', 'ps:never', 3)] },
    { on: 'sub', cmd: ['UNSUBSCRIBE'], expect: [note('unsubscribe', 'ps:a', 2)] },
    { on: 'sub', cmd: ['PUNSUBSCRIBE', 'ps:x*'], expect: [note('punsubscribe', 'ps:x*', 1)] },
    { on: 'sub', cmd: ['SUNSUBSCRIBE'], expect: [note('sunsubscribe', 'ps:s', 0)] },
    { on: 'pub', cmd: ['PUBLISH', 'ps:a', 'after'], expect: [int(0)] },
    { on: 'sub', cmd: ['RESET'], expect: ['+RESET\r\n'] },
    { on: 'pub', cmd: ['PUBSUB', 'NUMPAT'], expect: [int(0)] },
    { on: 'sub', cmd: ['PING'], expect: ['+PONG\r\n'] },
    { on: 'sub', cmd: ['GET', 'ps:missing'], expect: ['$-1\r\n'] },
  ];
}

t.test('Pub/Sub replies and errors match Redis 7', (t) =>
  checkTwoClientScript<Who>(t, { clients: ['sub', 'pub'], steps: script, settleMs: 50, defaultTimeoutMs: 3000 }),
);
