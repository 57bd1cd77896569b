import t from 'tap';
import { decodeCount, encodeCount } from '../../src/storage/key-count.js';

t.test('the stored count: 8 bytes big-endian; anything else reads as unknown', async (t) => {
  t.equal(decodeCount(encodeCount(0)), 0);
  t.equal(decodeCount(encodeCount(123_456_789)), 123_456_789);
  t.equal(decodeCount(undefined), undefined);
  t.equal(decodeCount(Buffer.from('bad')), undefined);
  t.equal(decodeCount(Buffer.alloc(8, 0xff)), undefined, 'beyond a safe integer');
});
