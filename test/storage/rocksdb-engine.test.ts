import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RocksDbEngine } from '../../src/storage/rocksdb-engine.js';
import { engineConformance } from './engine-conformance.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'qkv-rocks-'));
}

engineConformance('rocksdb', async () => {
  const dir = await tempDir();
  const location = join(dir, 'db');
  let engine = new RocksDbEngine({ location, cacheSize: 8 * 1024 * 1024, writeBufferSize: 4 * 1024 * 1024, readChunkBytes: 4096 });
  await engine.open();
  return {
    get engine() {
      return engine;
    },
    reopen: async () => {
      await engine.close();
      engine = new RocksDbEngine({ location, cacheSize: 8 * 1024 * 1024 });
      await engine.open();
      return engine;
    },
    dispose: async () => {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

t.test('a second open of the same directory in this process fails with a clear error', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = new RocksDbEngine({ location: dir });
  await first.open();
  t.teardown(() => first.close());
  const second = new RocksDbEngine({ location: dir });
  await t.rejects(second.open(), { code: 'IOERR', message: /in use by another process or another open store/ });
  await t.rejects(first.open(), { message: /cannot be opened: it is open/ });
});

t.test('a directory held by another process fails fast with a clear error', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rocksdbPath = createRequire(import.meta.url).resolve('rocksdb');
  // A plain Node process holds the lock until its stdin closes.
  const script = `
    const db = require(${JSON.stringify(rocksdbPath)})(${JSON.stringify(dir)});
    db.open({}, (err) => {
      if (err) { console.error(err.message); process.exit(2); }
      process.stdout.write('ready\\n');
      process.stdin.on('end', () => db.close(() => process.exit(0)));
      process.stdin.resume();
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
  });
  const engine = new RocksDbEngine({ location: dir });
  await t.rejects(engine.open(), { code: 'IOERR', message: new RegExp(`data directory ${dir} is in use`) });
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  await engine.open();
  t.pass('opens once the other process has let go');
  await engine.close();
});

t.test('createIfMissing false refuses a directory without a database', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const engine = new RocksDbEngine({ location: join(dir, 'none'), createIfMissing: false });
  await t.rejects(engine.open(), { message: /open failed|does not exist/ });
  await engine.close();
});

t.test('stats expose RocksDB properties', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const engine = new RocksDbEngine({ location: dir, cacheSize: 16 * 1024 * 1024, compression: false });
  await engine.open();
  await engine.write([{ type: 'put', key: Buffer.from('k'), value: Buffer.from('v') }], true);
  const stats = await engine.stats();
  t.equal(stats.properties['rocksdb.estimate-num-keys'], 1);
  t.ok((stats.properties['rocksdb.cur-size-all-mem-tables'] ?? 0) > 0);
  t.type(stats.properties['rocksdb.total-sst-files-size'], 'number');
  await engine.close();
});

t.test('close waits for a write in progress', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const engine = new RocksDbEngine({ location: dir });
  await engine.open();
  const ops = Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: Buffer.from(`k${i}`), value: Buffer.alloc(1000) }));
  const writing = engine.write(ops, true);
  const closing = engine.close();
  await t.resolves(writing);
  await closing;
  const again = new RocksDbEngine({ location: dir });
  await again.open();
  t.equal((await again.get(Buffer.from('k1999')))?.length, 1000);
  await again.close();
});

t.test('an engine not yet open refuses work; close is safe at any point', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const engine = new RocksDbEngine({ location: dir });
  await t.rejects(engine.get(Buffer.from('k')), { message: /is not open/ });
  const opening = engine.open();
  const closing = engine.close();
  const closingAgain = engine.close();
  t.equal(closing, closingAgain, 'one close in progress at a time');
  await opening;
  await closing;
  await t.rejects(engine.get(Buffer.from('k')), { message: /is closed/ });
  await t.rejects(engine.open(), { message: /cannot be opened: it is closed/ });
  await engine.close();
  const never = new RocksDbEngine({ location: join(dir, 'never') });
  await never.close();
  await t.rejects(never.open(), { message: /closed/ });
  const failing = new RocksDbEngine({ location: join(dir, 'missing'), createIfMissing: false });
  const failedOpen = failing.open();
  const closeDuringFailedOpen = failing.close();
  await t.rejects(failedOpen);
  await closeDuringFailedOpen;
  await t.rejects(failing.open(), { message: /closed/ });
});
