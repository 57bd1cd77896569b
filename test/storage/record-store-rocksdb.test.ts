import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RocksDbEngine } from '../../src/storage/rocksdb-engine.js';
import { recordStoreSuite } from './record-store-suite.js';

recordStoreSuite('record store on rocksdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-store-'));
  return {
    newEngine: () => new RocksDbEngine({ location: dir, cacheSize: 8 * 1024 * 1024, writeBufferSize: 4 * 1024 * 1024 }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});
