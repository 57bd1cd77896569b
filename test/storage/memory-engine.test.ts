import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { engineConformance } from './engine-conformance.js';

engineConformance('memory', async () => {
  const engine = new MemoryEngine();
  await engine.open();
  return {
    engine,
    reopen: async () => {
      await engine.close();
      await engine.open();
      return engine;
    },
    dispose: () => engine.close(),
  };
});

const s = (text: string): Buffer => Buffer.from(text);

t.test('failNextWrites fails exactly the next writes, changing nothing', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  engine.failNextWrites(2);
  await t.rejects(engine.write([{ type: 'put', key: s('a'), value: s('1') }], true), { code: 'IOERR', message: /No space left on device/ });
  await t.rejects(engine.deleteRange({}), QkvError);
  t.equal(await engine.get(s('a')), undefined);
  await engine.write([{ type: 'put', key: s('a'), value: s('1') }], true);
  t.equal((await engine.get(s('a')))?.toString(), '1', 'the third write succeeds');
  engine.failNextWrites(1, new Error('custom'));
  await t.rejects(engine.write([{ type: 'del', key: s('a') }], false), { message: 'custom' });
  t.equal(engine.writeBatches, 1, 'only successful batches count');
});

t.test('failNextReads fails reads and iterator steps', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  await engine.write([{ type: 'put', key: s('a'), value: s('1') }], false);
  engine.failNextReads(3);
  await t.rejects(engine.get(s('a')), { code: 'IOERR' });
  await t.rejects(engine.getMany([s('a')]), { code: 'IOERR' });
  await t.rejects(engine.iterate({}).next(), { code: 'IOERR' });
  t.equal((await engine.get(s('a')))?.toString(), '1');
});

t.test('holdWrites keeps writes unapplied until released', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const release = engine.holdWrites();
  let done = false;
  const writing = engine.write([{ type: 'put', key: s('a'), value: s('1') }], false).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  t.equal(done, false);
  t.equal(await engine.get(s('a')), undefined, 'not applied while held');
  release();
  await writing;
  t.equal((await engine.get(s('a')))?.toString(), '1');
});

t.test('opening an open memory engine is refused; a closed one keeps its data', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  await t.rejects(engine.open(), QkvError);
  await engine.write([{ type: 'put', key: s('a'), value: s('1') }], false);
  await engine.close();
  await engine.open();
  t.equal((await engine.get(s('a')))?.toString(), '1');
});
