import t from 'tap';
import { bulk, err, int } from './diff-support.js';
import { checkTwoClientScript, type ScriptStep } from './two-client-script.js';

/**
 * Keyspace notifications against Redis 7, byte for byte, in RESP2 and RESP3:
 * a subscriber on __key*__:* and a writer run one script in lockstep on a
 * QuorumKV node and on redis-server. After each write the subscriber reads
 * the messages Redis 7.0.15 publishes for it (keyspace, then keyevent, per
 * event), and at the end nothing more. The writes cover the string,
 * generic, hash and set events QuorumKV publishes, and an expired key.
 */

type Who = 'sub' | 'writer';
type Step = ScriptStep<Who>;

/** A write, its reply, and the [event, key] pairs it announces. */
type Write = readonly [cmd: readonly string[], reply: string, events: ReadonlyArray<readonly [string, string]>];

const OK = '+OK\r\n';

/** The writes, in order; `classes` is what notify-keyspace-events is set to for them. */
function writes(proto: 2 | 3): Write[] {
  const set = (...keys: string[]): Array<readonly [string, string]> => keys.map((k) => ['set', k] as const);
  const nil = proto === 2 ? '$-1\r\n' : '_\r\n';
  return [
    [['SET', 'ks:s', 'v'], OK, set('ks:s')],
    [['SETNX', 'ks:s', 'x'], int(0), []],
    [['SETNX', 'ks:n', 'v'], int(1), set('ks:n')],
    [['SET', 'ks:s', 'v2', 'EX', '100'], OK, [['set', 'ks:s'], ['expire', 'ks:s']]],
    [['SET', 'ks:s', 'v9', 'NX'], nil, []],
    [['SETEX', 'ks:e', '100', 'v'], OK, [['set', 'ks:e'], ['expire', 'ks:e']]],
    [['GETSET', 'ks:s', 'v3'], bulk('v2'), set('ks:s')],
    [['MSET', 'ks:m1', 'a', 'ks:m2', 'b'], OK, set('ks:m1', 'ks:m2')],
    [['APPEND', 'ks:s', 'x'], int(3), [['append', 'ks:s']]],
    [['SETRANGE', 'ks:s', '1', 'Z'], int(3), [['setrange', 'ks:s']]],
    [['SETRANGE', 'ks:s', '1', ''], int(3), []],
    [['INCR', 'ks:i'], int(1), [['incrby', 'ks:i']]],
    [['INCRBY', 'ks:i', '5'], int(6), [['incrby', 'ks:i']]],
    [['DECR', 'ks:i'], int(5), [['incrby', 'ks:i']]],
    [['INCRBYFLOAT', 'ks:f', '1.5'], bulk('1.5'), [['incrbyfloat', 'ks:f']]],
    [['GETDEL', 'ks:m1'], bulk('a'), [['del', 'ks:m1']]],
    [['GETDEL', 'ks:none'], nil, []],
    [['EXPIRE', 'ks:m2', '100'], int(1), [['expire', 'ks:m2']]],
    [['PERSIST', 'ks:m2'], int(1), [['persist', 'ks:m2']]],
    [['PERSIST', 'ks:m2'], int(0), []],
    [['GETEX', 'ks:m2', 'PX', '100000'], bulk('b'), [['expire', 'ks:m2']]],
    [['GETEX', 'ks:m2', 'PERSIST'], bulk('b'), [['persist', 'ks:m2']]],
    [['PEXPIRE', 'ks:e', '-1'], int(1), [['del', 'ks:e']]],
    [['RENAME', 'ks:n', 'ks:r'], OK, [['rename_from', 'ks:n'], ['rename_to', 'ks:r']]],
    [['DEL', 'ks:r', 'ks:none', 'ks:f'], int(2), [['del', 'ks:r'], ['del', 'ks:f']]],
    [['UNLINK', 'ks:i'], int(1), [['del', 'ks:i']]],
    [['HSET', 'ks:h', 'a', '1', 'b', '2'], int(2), [['hset', 'ks:h']]],
    [['HSET', 'ks:h', 'a', '1'], int(0), [['hset', 'ks:h']]],
    [['HSETNX', 'ks:h', 'a', '9'], int(0), []],
    [['HSETNX', 'ks:h', 'c', '3'], int(1), [['hset', 'ks:h']]],
    [['HMSET', 'ks:h', 'c', '4'], OK, [['hset', 'ks:h']]],
    [['HINCRBY', 'ks:h', 'n', '2'], int(2), [['hincrby', 'ks:h']]],
    [['HINCRBYFLOAT', 'ks:h', 'x', '0.5'], bulk('0.5'), [['hincrbyfloat', 'ks:h']]],
    [['HDEL', 'ks:h', 'zz'], int(0), []],
    [['HDEL', 'ks:h', 'a', 'b', 'c'], int(3), [['hdel', 'ks:h']]],
    [['HDEL', 'ks:h', 'n', 'x'], int(2), [['hdel', 'ks:h'], ['del', 'ks:h']]],
    [['SADD', 'ks:a', 'm1', 'm2', 'm3'], int(3), [['sadd', 'ks:a']]],
    [['SADD', 'ks:a', 'm1'], int(0), []],
    [['SREM', 'ks:a', 'm1'], int(1), [['srem', 'ks:a']]],
    [['SREM', 'ks:a', 'nope'], int(0), []],
    [['SMOVE', 'ks:a', 'ks:b', 'm2'], int(1), [['srem', 'ks:a'], ['sadd', 'ks:b']]],
    [['SMOVE', 'ks:a', 'ks:b', 'nope'], int(0), []],
    [['SMOVE', 'ks:a', 'ks:b', 'm3'], int(1), [['srem', 'ks:a'], ['del', 'ks:a'], ['sadd', 'ks:b']]],
    [['SADD', 'ks:c', 'z'], int(1), [['sadd', 'ks:c']]],
    [['SPOP', 'ks:c'], bulk('z'), [['spop', 'ks:c'], ['del', 'ks:c']]],
    [['SPOP', 'ks:c'], nil, []],
    [['SADD', 'ks:x', '1', '2', '3'], int(3), [['sadd', 'ks:x']]],
    [['SADD', 'ks:y', '2', '3', '4'], int(3), [['sadd', 'ks:y']]],
    [['SINTERSTORE', 'ks:d', 'ks:x', 'ks:y'], int(2), [['sinterstore', 'ks:d']]],
    [['SUNIONSTORE', 'ks:d', 'ks:x', 'ks:y'], int(4), [['sunionstore', 'ks:d']]],
    [['SDIFFSTORE', 'ks:d', 'ks:x', 'ks:y'], int(1), [['sdiffstore', 'ks:d']]],
    [['SDIFFSTORE', 'ks:d', 'ks:x', 'ks:x'], int(0), [['del', 'ks:d']]],
    [['SDIFFSTORE', 'ks:d', 'ks:x', 'ks:x'], int(0), []],
    [['SREM', 'ks:b', 'm2', 'm3'], int(2), [['srem', 'ks:b'], ['del', 'ks:b']]],
    [['SET', 'ks:t', 'v', 'PX', '30'], OK, [['set', 'ks:t'], ['expire', 'ks:t']]],
  ];
}

function script(proto: 2 | 3): Step[] {
  const P = proto === 2 ? '*' : '>';
  const push = (...items: string[]): string => `${P}${items.length}\r\n${items.join('')}`;
  const pmessage = (channel: string, message: string): string => push(bulk('pmessage'), bulk('__key*__:*'), bulk(channel), bulk(message));
  const announced = (event: string, key: string): string[] => [pmessage(`__keyspace@0__:${key}`, event), pmessage(`__keyevent@0__:${event}`, key)];
  const configReply = (value: string): string => (proto === 2 ? `*2\r\n${bulk('notify-keyspace-events')}${bulk(value)}` : `%1\r\n${bulk('notify-keyspace-events')}${bulk(value)}`);
  const steps: Step[] = [
    { on: 'writer', cmd: ['CONFIG', 'GET', 'notify-keyspace-events'], expect: [configReply('')] },
    {
      on: 'writer',
      cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'KEq'],
      expect: [err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")],
    },
    { on: 'writer', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], expect: [OK] },
    { on: 'writer', cmd: ['CONFIG', 'GET', 'notify-keyspace-events'], expect: [configReply('AKE')] },
    { on: 'sub', cmd: ['PSUBSCRIBE', '__key*__:*'], expect: [push(bulk('psubscribe'), bulk('__key*__:*'), int(1))] },
  ];
  for (const [cmd, reply, events] of writes(proto)) {
    steps.push({ on: 'writer', cmd, expect: [reply] });
    if (events.length > 0) steps.push({ on: 'sub', expect: events.flatMap(([e, k]) => announced(e, k)) });
  }
  // SET ... PX 30 above: the expiry is applied (Redis's active cycle, QuorumKV's sweep) within a few hundred ms.
  steps.push({ on: 'sub', expect: announced('expired', 'ks:t'), timeoutMs: 3000 });
  // Keyevent messages of generic events only: SET is not announced, DEL is, on __keyevent@0__ alone.
  steps.push(
    { on: 'writer', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'Eg'], expect: [OK] },
    { on: 'writer', cmd: ['CONFIG', 'GET', 'notify-keyspace-events'], expect: [configReply('gE')] },
    { on: 'writer', cmd: ['SET', 'ks:g', 'v'], expect: [OK] },
    { on: 'writer', cmd: ['DEL', 'ks:g'], expect: [int(1)] },
    { on: 'sub', expect: [pmessage('__keyevent@0__:del', 'ks:g')] },
    // New-key events (n): a write that makes its key exist, not one that changes it.
    { on: 'writer', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'En'], expect: [OK] },
    { on: 'writer', cmd: ['SET', 'ks:new1', 'a'], expect: [OK] },
    { on: 'writer', cmd: ['SET', 'ks:new1', 'b'], expect: [OK] },
    { on: 'writer', cmd: ['HSET', 'ks:new2', 'f', '1'], expect: [int(1)] },
    { on: 'writer', cmd: ['HSET', 'ks:new2', 'g', '1'], expect: [int(1)] },
    { on: 'writer', cmd: ['INCR', 'ks:new3'], expect: [int(1)] },
    { on: 'writer', cmd: ['SADD', 'ks:new4', 'm'], expect: [int(1)] },
    { on: 'writer', cmd: ['SETNX', 'ks:new1', 'c'], expect: [int(0)] },
    { on: 'writer', cmd: ['SET', 'ks:new5', 'x', 'NX'], expect: [OK] },
    {
      on: 'sub',
      expect: ['ks:new1', 'ks:new2', 'ks:new3', 'ks:new4', 'ks:new5'].map((k) => pmessage('__keyevent@0__:new', k)),
    },
    { on: 'writer', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', ''], expect: [OK] },
    { on: 'writer', cmd: ['DEL', 'ks:new1', 'ks:new2', 'ks:new3', 'ks:new4', 'ks:new5'], expect: [int(5)] },
    { on: 'writer', cmd: ['SET', 'ks:g', 'v'], expect: [OK] },
    { on: 'writer', cmd: ['DEL', 'ks:g', 'ks:s', 'ks:m2', 'ks:x', 'ks:y'], expect: [int(5)] },
  );
  return steps;
}

t.test('keyspace notifications match Redis 7', (t) =>
  checkTwoClientScript<Who>(t, { clients: ['sub', 'writer'], steps: script, settleMs: 100, defaultTimeoutMs: 2000 }),
);
