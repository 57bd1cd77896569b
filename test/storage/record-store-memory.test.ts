import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { recordStoreSuite } from './record-store-suite.js';

recordStoreSuite('record store on memory', async () => {
  const engine = new MemoryEngine();
  return { newEngine: () => engine, dispose: async () => undefined };
});
