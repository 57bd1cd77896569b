import t from 'tap';
import { FrameDecoder, FrameTooLargeError, MAX_FRAME_LENGTH, encodeFrame, frameHeader } from '../../src/transport/framing.js';
import { SeededRng } from '../../src/core/rng.js';

const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), new SeededRng(3).bytes(70_000)];
const stream = Buffer.concat(bodies.map(encodeFrame));

t.test('a stream fed whole yields every frame in order', async (t) => {
  const d = new FrameDecoder(1 << 20);
  t.same(d.push(stream), bodies);
  t.equal(d.buffered, 0);
});

t.test('a stream fed byte by byte yields the same frames', async (t) => {
  const d = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
  t.same(out, bodies);
  t.equal(d.buffered, 0);
});

t.test('a stream cut at random points yields the same frames', async (t) => {
  const rng = new SeededRng(9);
  for (let round = 0; round < 20; round++) {
    const d = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < stream.length) {
      const n = 1 + rng.int(9000);
      out.push(...d.push(stream.subarray(pos, pos + n)));
      pos += n;
    }
    t.same(out, bodies, `round ${round}`);
  }
});

t.test('a partial frame is held until it completes', async (t) => {
  const d = new FrameDecoder(100);
  const f = encodeFrame(Buffer.from('abcdef'));
  t.same(d.push(f.subarray(0, 2)), []);
  t.equal(d.buffered, 2);
  t.same(d.push(f.subarray(2, 7)), []);
  t.equal(d.buffered, 3);
  t.same(d.push(f.subarray(7)), [Buffer.from('abcdef')]);
});

t.test('a header announcing more than the maximum throws at once', async (t) => {
  const d = new FrameDecoder(10);
  t.same(d.push(encodeFrame(Buffer.alloc(10))), [Buffer.alloc(10)]);
  t.throws(() => d.push(frameHeader(11)), FrameTooLargeError);
  const slow = new FrameDecoder(10);
  slow.push(Buffer.from([0xff, 0xff]));
  const err = t.throws(() => slow.push(Buffer.from([0xff, 0xff]))) as FrameTooLargeError;
  t.equal(err.length, 0xffffffff);
  t.equal(err.max, 10);
  t.match(err.message, /exceeds the maximum of 10/);
});

t.test('the maximum can change between pushes', async (t) => {
  const d = new FrameDecoder(4);
  t.throws(() => d.push(encodeFrame(Buffer.alloc(5))));
  const d2 = new FrameDecoder(4);
  d2.maxFrameBytes = 5;
  t.same(d2.push(encodeFrame(Buffer.alloc(5))), [Buffer.alloc(5)]);
});

t.test('frameHeader refuses lengths a u32 cannot carry', async (t) => {
  t.same(frameHeader(258), Buffer.from([0, 0, 1, 2]));
  t.same(frameHeader(MAX_FRAME_LENGTH), Buffer.from([0xff, 0xff, 0xff, 0xff]));
  t.throws(() => frameHeader(MAX_FRAME_LENGTH + 1), FrameTooLargeError);
});
