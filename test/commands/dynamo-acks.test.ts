import t from 'tap';
import type { WriteOptions, WriteRequest } from '../../src/coordinator/api.js';
import { decodeContext } from '../../src/versioning/codec.js';
import { makeHarness } from '../support/command-harness.js';

/** A harness whose kv reports 1 home and 2 total acknowledgements, as a sloppy write would. */
function acking() {
  const r = makeHarness();
  const write = r.kv.write.bind(r.kv);
  r.kv.write = async (key: Buffer, req: WriteRequest, opts?: WriteOptions) => {
    const obj = await write(key, req, opts);
    opts?.onAcks?.({ home: 1, total: 2 });
    return obj;
  };
  return r;
}

t.test('PW is passed to the write, 0..N; anything else is refused', async (t) => {
  const r = acking();
  await r('QSET', 'k', 'v', 'PW', '2', 'W', '3');
  await r('QDEL', 'k', 'pw', '0');
  t.same(
    r.kv.calls.filter((c) => c.op === 'write').map((c) => [c.opts?.w, c.opts?.pw]),
    [
      [3, 2],
      [undefined, 0],
    ],
  );
  t.same(await r('QSET', 'k', 'v', 'PW', '4'), { error: 'ERR PW must be an integer between 0 and 3' });
  t.same(await r('QSET', 'k', 'v', 'PW', '-1'), { error: 'ERR PW must be an integer between 0 and 3' });
  t.same(await r('QSET', 'k', 'v', 'PW', 'x'), { error: 'ERR PW must be an integer between 0 and 3' });
  t.same(await r('QSET', 'k', 'v', 'PW'), { error: 'ERR syntax error' });
  t.same(await r('QGET', 'k', 'PW', '1'), { error: 'ERR syntax error' }, 'reads take no PW');
  t.same(await r('QGET', 'k', 'ACKS'), { error: 'ERR syntax error' }, 'nor ACKS');
});

t.test('ACKS makes the reply [context, home acks, total acks]; without it the reply is the bare context', async (t) => {
  const r = acking();
  const plain = (await r('QSET', 'k', 'a')) as string;
  t.same(decodeContext(plain), { 'test-node': 1 });
  const [ctx, home, total] = (await r('QSET', 'k', 'b', 'ACKS', 'W', '2')) as [string, number, number];
  t.same(decodeContext(ctx), { 'test-node': 2 });
  t.same([home, total], [1, 2]);
  const del = (await r('QDEL', 'k', 'CONTEXT', ctx, 'acks')) as [string, number, number];
  t.same(del.slice(1), [1, 2]);
  t.same(decodeContext(del[0]), { 'test-node': 3 });
});
