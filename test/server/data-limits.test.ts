import t from 'tap';
import type { Test } from 'tap';
import { ERR_KEY_TOO_LARGE, ERR_VALUE_TOO_LARGE } from '../../src/commands/errors.js';
import { NIL, OK, arr, bulk, err, int, show } from './diff-support.js';
import { startTestNode } from './node-harness.js';
import { encodeCommand } from './raw-client.js';
import type { RawClient } from './raw-client.js';

/**
 * --max-value-bytes and --max-key-bytes over a real socket: a write that
 * would store a longer value or key gets the error naming the limit and
 * stores nothing (README, "Size limits"; Redis has no such limits, so this
 * is QuorumKV only). Each case checks the key afterwards.
 */

const MAX_VALUE = 1000;
const MAX_KEY = 100;
const VALUE_TOO_LARGE = err(ERR_VALUE_TOO_LARGE(MAX_VALUE));
const KEY_TOO_LARGE = err(ERR_KEY_TOO_LARGE(MAX_KEY));
const value = (n: number, fill = 'v'): Buffer => Buffer.alloc(n, fill);
const key = (n: number): string => 'L'.repeat(n);

const { raw } = await startTestNode(t, ['--max-value-bytes', String(MAX_VALUE), '--max-key-bytes', String(MAX_KEY)]);
const c = await raw();

/** Runs [command, expected reply] pairs in order on one connection. */
async function expectReplies(t: Test, client: RawClient, steps: ReadonlyArray<readonly [ReadonlyArray<string | Buffer>, string]>): Promise<void> {
  for (const [cmd, want] of steps) {
    const name = cmd.map((a) => (a.length > 20 ? `<${a.length} bytes>` : a.toString())).join(' ');
    // show() keeps short replies readable and reduces long ones to length and digest.
    t.equal(show(await client.call(...cmd)), show(want), name);
  }
}

t.test('values up to the limit are stored, longer ones refused and nothing stored', async (t) => {
  await expectReplies(t, c, [
    [['SET', 'lv:a', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['EXISTS', 'lv:a'], int(0)],
    [['SET', 'lv:a', value(MAX_VALUE)], OK],
    [['GET', 'lv:a'], bulk(value(MAX_VALUE))],
    [['SET', 'lv:a', 'small'], OK],
    [['SET', 'lv:a', value(MAX_VALUE + 1), 'GET'], VALUE_TOO_LARGE],
    [['SET', 'lv:a', value(MAX_VALUE + 1), 'XX'], VALUE_TOO_LARGE],
    [['SET', 'lv:a', value(MAX_VALUE + 1), 'KEEPTTL'], VALUE_TOO_LARGE],
    [['SET', 'lv:a', value(MAX_VALUE + 1), 'EX', '100'], VALUE_TOO_LARGE],
    [['SET', 'lv:n', value(MAX_VALUE + 1), 'NX'], VALUE_TOO_LARGE],
    [['SETNX', 'lv:n', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['SETEX', 'lv:n', '100', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['PSETEX', 'lv:n', '100000', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['GETSET', 'lv:a', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['MSET', 'lv:m1', 'ok', 'lv:a', value(MAX_VALUE + 1), 'lv:m2', 'ok'], VALUE_TOO_LARGE],
    [['MSETNX', 'lv:m1', 'ok', 'lv:m2', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['GET', 'lv:a'], bulk('small')],
    [['TTL', 'lv:a'], int(-1)],
    [['EXISTS', 'lv:n', 'lv:m1', 'lv:m2'], int(0)],
    [['MSET', 'lv:m1', value(MAX_VALUE), 'lv:m2', value(MAX_VALUE, 'w')], OK],
    [['STRLEN', 'lv:m2'], int(MAX_VALUE)],
  ]);
});

t.test('keys up to the limit are accepted, longer ones refused and nothing stored', async (t) => {
  const long = key(MAX_KEY + 1);
  await expectReplies(t, c, [
    [['SET', long, 'v'], KEY_TOO_LARGE],
    [['SET', long, value(MAX_VALUE + 1)], KEY_TOO_LARGE],
    [['SETNX', long, 'v'], KEY_TOO_LARGE],
    [['SETEX', long, '100', 'v'], KEY_TOO_LARGE],
    [['PSETEX', long, '100', 'v'], KEY_TOO_LARGE],
    [['GETSET', long, 'v'], KEY_TOO_LARGE],
    [['SET', long, 'v', 'NX', 'GET'], KEY_TOO_LARGE],
    [['MSET', 'lk:a', 'v', long, 'v'], KEY_TOO_LARGE],
    [['MSETNX', 'lk:a', 'v', long, 'v'], KEY_TOO_LARGE],
    [['APPEND', long, 'v'], KEY_TOO_LARGE],
    [['SETRANGE', long, '0', 'v'], KEY_TOO_LARGE],
    [['INCR', long], KEY_TOO_LARGE],
    [['DECRBY', long, '2'], KEY_TOO_LARGE],
    [['INCRBYFLOAT', long, '1.5'], KEY_TOO_LARGE],
    [['EXISTS', long, 'lk:a'], int(0)],
    [['KEYS', 'L*'], arr()],
    [['SET', key(MAX_KEY), 'v'], OK],
    [['GET', key(MAX_KEY)], bulk('v')],
    [['RENAME', key(MAX_KEY), long], KEY_TOO_LARGE],
    [['GET', key(MAX_KEY)], bulk('v')],
    [['RENAME', key(MAX_KEY), 'lk:b'], OK],
    [['GET', 'lk:b'], bulk('v')],
  ]);
});

t.test('APPEND, SETRANGE and INCRBYFLOAT may not grow a value past the limit', async (t) => {
  await expectReplies(t, c, [
    [['SET', 'lg:a', value(MAX_VALUE - 2), 'EX', '100'], OK],
    [['APPEND', 'lg:a', 'xyz'], VALUE_TOO_LARGE],
    [['STRLEN', 'lg:a'], int(MAX_VALUE - 2)],
    [['APPEND', 'lg:a', 'xy'], int(MAX_VALUE)],
    [['APPEND', 'lg:a', 'z'], VALUE_TOO_LARGE],
    [['APPEND', 'lg:a', ''], int(MAX_VALUE)],
    [['APPEND', 'lg:new', value(MAX_VALUE + 1)], VALUE_TOO_LARGE],
    [['EXISTS', 'lg:new'], int(0)],
    [['SETRANGE', 'lg:a', String(MAX_VALUE), 'x'], VALUE_TOO_LARGE],
    [['SETRANGE', 'lg:a', String(MAX_VALUE - 1), 'xy'], VALUE_TOO_LARGE],
    [['SETRANGE', 'lg:a', String(MAX_VALUE - 1), 'x'], int(MAX_VALUE)],
    [['GETRANGE', 'lg:a', '-3', '-1'], bulk('vxx')],
    [['SETRANGE', 'lg:r', String(MAX_VALUE), 'x'], VALUE_TOO_LARGE],
    [['SETRANGE', 'lg:r', '1000000', 'x'], VALUE_TOO_LARGE],
    [['SETRANGE', 'lg:r', '536870912', 'x'], err('ERR string exceeds maximum allowed size (proto-max-bulk-len)')],
    [['EXISTS', 'lg:r'], int(0)],
    [['SETRANGE', 'lg:r', String(MAX_VALUE - 1), 'x'], int(MAX_VALUE)],
    [['TTL', 'lg:a'], int(100)],
  ]);
  // In Redis's long double, 2e1000 prints as 1001 digits and 9e999 as 1000.
  await expectReplies(t, c, [
    [['INCRBYFLOAT', 'lg:f', '2e1000'], VALUE_TOO_LARGE],
    [['EXISTS', 'lg:f'], int(0)],
  ]);
  t.match(await c.call('INCRBYFLOAT', 'lg:f', '9e999'), /^\$1000\r\n9000000000000000000270789907274571583141\d{960}\r\n$/);
  await expectReplies(t, c, [
    [['INCRBYFLOAT', 'lg:f', '1e999'], VALUE_TOO_LARGE],
    [['STRLEN', 'lg:f'], int(MAX_VALUE)],
    [['GETRANGE', 'lg:f', '0', '3'], bulk('9000')],
  ]);
});

t.test('CONFIG SET changes the limits for the next command', async (t) => {
  t.teardown(() => c.call('CONFIG', 'SET', 'max-value-bytes', String(MAX_VALUE), 'max-key-bytes', String(MAX_KEY)));
  await expectReplies(t, c, [
    [['CONFIG', 'SET', 'max-value-bytes', '1500', 'max-key-bytes', '150'], OK],
    [['SET', key(150), value(1500)], OK],
    [['SET', key(150), value(1501)], err(ERR_VALUE_TOO_LARGE(1500))],
    [['SET', key(151), 'v'], err(ERR_KEY_TOO_LARGE(150))],
    [['CONFIG', 'SET', 'max-value-bytes', String(MAX_VALUE), 'max-key-bytes', String(MAX_KEY)], OK],
    [['SET', 'lc:a', value(1500)], VALUE_TOO_LARGE],
    [['GET', key(150)], bulk(value(1500))],
  ]);
});

t.test('a bulk past the limit plus framing is a protocol error that closes the connection', async (t) => {
  const victim = await raw();
  // The request itself may carry a key, a value and some framing; anything longer is never buffered.
  victim.send(encodeCommand('SET', 'lp:a', value(MAX_VALUE + MAX_KEY + 1024 + 1)));
  await victim.waitClosed();
  t.same(await victim.read(1), [err('ERR Protocol error: invalid bulk length')]);
  t.equal(await c.call('EXISTS', 'lp:a'), int(0));
  t.equal(await c.call('GET', 'lp:missing'), NIL, 'other clients are still served');
});
