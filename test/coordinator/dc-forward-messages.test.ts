import t from 'tap';
import { isDcForward, parseDcForward, parseDcForwardReply } from '../../src/coordinator/dc-forward-messages.js';

const good = { type: 'r.dcfwd', key: Buffer.from('k'), obj: Buffer.from('o'), epoch: 0, targets: ['n3', 'n4'], timeoutMs: 100 };

t.test('r.dcfwd requests are checked on arrival', async (t) => {
  t.ok(isDcForward(good));
  t.notOk(isDcForward({ type: 'r.merge' }));
  t.notOk(isDcForward(null));
  t.same(parseDcForward(good), good);
  t.same(parseDcForward({ ...good, need: 2 }), { ...good, need: 2 });
  t.same(parseDcForward({ ...good, need: null }), good, 'need null: absent');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...good, key: 'k' }, /key and obj/],
    [{ ...good, epoch: -1 }, /epoch/],
    [{ ...good, timeoutMs: 0 }, /timeout/],
    [{ ...good, targets: [] }, /at least one target/],
    [{ ...good, targets: 'n3' }, /targets must be a list/],
    [{ ...good, targets: [''] }, /targets must hold node ids/],
    [{ ...good, targets: Array.from({ length: 65 }, (_, i) => `n${i}`) }, /at most 64/],
    [{ ...good, need: 0 }, /need must be a positive integer/],
    [{ ...good, need: 1.5 }, /need must be a positive integer/],
  ];
  for (const [msg, why] of bad) t.throws(() => parseDcForward(msg), { code: 'ERR', message: why });
});

t.test('an r.dcfwd answer names each target once; one it leaves out counts as failed', async (t) => {
  const targets = ['n3', 'n4', 'n5'];
  t.same(parseDcForwardReply({ acked: ['n3'], hinted: ['n4'], failed: [] }, targets), { acked: ['n3'], hinted: ['n4'], failed: ['n5'], later: [] });
  t.same(parseDcForwardReply({ acked: ['n3', 'n3', 'n9'], hinted: [], failed: [], later: ['n4'] }, targets), { acked: ['n3'], hinted: [], failed: ['n5'], later: ['n4'] }, 'duplicates and strangers dropped');
  t.throws(() => parseDcForwardReply(null, targets), /bad reply from peer: r.dcfwd/);
  t.throws(() => parseDcForwardReply({ acked: 'n3', hinted: [], failed: [] }, targets), /bad reply from peer: acked must be a list/);
});
