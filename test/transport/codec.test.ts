import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { copyMessage, decodeMessage, encodeBounded, encodeMessage } from '../../src/transport/codec.js';
import {
  ERROR,
  ProtocolViolation,
  REPLY,
  REQUEST,
  errorEnvelope,
  parseEnvelope,
  replyEnvelope,
  requestEnvelope,
  toQkvError,
} from '../../src/transport/envelope.js';
import { formatAddress, sameAddress } from '../../src/transport/types.js';

t.test('messages round-trip as plain data', async (t) => {
  const msg = {
    type: 'put',
    key: Buffer.from('k'),
    n: 1_700_000_000_000,
    big: (1n << 63n) + 1n,
    list: [1.5, null, true, 'x'],
    nested: { u: undefined },
  };
  const copy = copyMessage(msg) as typeof msg;
  t.same(copy, msg);
  t.not(copy, msg);
  t.not(copy.key, msg.key);
  t.ok(Buffer.isBuffer(copy.key));
  t.equal(typeof copy.big, 'bigint');
  // A decoded Buffer owns its bytes: changing the frame does not change it.
  const bytes = encodeMessage({ b: Buffer.from('abc') });
  const decoded = decodeMessage(bytes) as { b: Buffer };
  bytes.fill(0);
  t.equal(decoded.b.toString(), 'abc');
});

t.test('encodeBounded refuses what cannot be sent', async (t) => {
  t.equal(decodeMessage(encodeBounded('x', 10)), 'x');
  t.throws(() => encodeBounded(Buffer.alloc(100), 50), { code: 'ERR', message: /exceeds the maximum frame of 50/ });
  t.throws(() => encodeBounded({ v: 1n << 80n }, 1000), { code: 'ERR', message: /cannot be encoded/ });
});

t.test('decodeMessage throws on bytes that are not one value', async (t) => {
  t.throws(() => decodeMessage(Buffer.alloc(0)));
  t.throws(() => decodeMessage(Buffer.from([1, 2])));
  t.throws(() => decodeMessage(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])));
});

t.test('envelopes parse back to what was built', async (t) => {
  t.same(parseEnvelope(requestEnvelope(1, { a: 1 })), { kind: REQUEST, id: 1, msg: { a: 1 } });
  t.same(parseEnvelope(replyEnvelope(2, 'ok')), { kind: REPLY, id: 2, msg: 'ok' });
  t.same(parseEnvelope(errorEnvelope(3, new QkvError('CONFLICT', 'changed'))), {
    kind: ERROR,
    id: 3,
    code: 'CONFLICT',
    message: 'changed',
  });
});

t.test('malformed envelopes are protocol violations', async (t) => {
  for (const bad of [null, 5, 'x', [], [0, 1], [0, -1, 'm'], [0, 1.5, 'm'], [0, 'id', 'm'], [9, 1, 'm'], [0, 1, 'm', 'extra'], [2, 1, 5, 'm'], [2, 1, 'C'], [2, 1, 'C', 7]]) {
    t.throws(() => parseEnvelope(bad), ProtocolViolation, JSON.stringify(bad));
  }
});

t.test('handler failures become QkvErrors with bounded texts', async (t) => {
  const q = new QkvError('TIMEOUT', 't');
  t.equal(toQkvError(q), q);
  t.match(toQkvError(new TypeError('boom')), { code: 'ERR', message: 'boom' });
  t.match(toQkvError('plain'), { code: 'ERR', message: 'plain' });
  const [, , code, message] = errorEnvelope(1, new QkvError('X'.repeat(100), 'y'.repeat(10_000))) as [number, number, string, string];
  t.equal(code.length, 64);
  t.equal(message.length, 4096);
});

t.test('addresses format and compare', async (t) => {
  t.equal(formatAddress({ host: '10.0.0.1', port: 7 }), '10.0.0.1:7');
  t.equal(formatAddress({ host: '::1', port: 7 }), '[::1]:7');
  t.ok(sameAddress({ host: 'a', port: 1 }, { host: 'a', port: 1 }));
  t.notOk(sameAddress({ host: 'a', port: 1 }, { host: 'a', port: 2 }));
  t.notOk(sameAddress({ host: 'a', port: 1 }, null));
  t.ok(sameAddress(null, null));
});
