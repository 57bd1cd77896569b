import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { isNotFound, mapRocksError } from '../../src/storage/rocksdb-errors.js';

t.test('RocksDB statuses become QkvErrors that say what to do', async (t) => {
  const lock = mapRocksError(new Error('IO error: While lock file: /d/LOCK: Resource temporarily unavailable'), 'open', '/d');
  t.equal(lock.code, 'IOERR');
  t.match(lock.message, /data directory \/d is in use by another process/);
  t.match(mapRocksError(new Error('IO error: lock hold by current process, acquire time 1 acquiring thread 2: /d/LOCK: No locks available'), 'open', '/d').message, /in use/);
  const full = mapRocksError(new Error('IO error: No space left on device: While appending to file: /d/000012.log'), 'write', '/d');
  t.equal(full.code, 'IOERR');
  t.match(full.message, /write failed: disk full \(No space left on device\) under \/d/);
  t.match(mapRocksError(new Error('Corruption: block checksum mismatch'), 'read', '/d').message, /data corruption detected under \/d/);
  t.match(mapRocksError(new Error('IO error: /d/CURRENT: Permission denied'), 'open', '/d'), { code: 'IOERR', message: /I\/O error under \/d/ });
  t.match(mapRocksError(new Error('Invalid argument: /d/CURRENT: does not exist (create_if_missing is false)'), 'open', '/d'), {
    code: 'ERR',
    message: /storage open failed: Invalid argument/,
  });
  t.match(mapRocksError('plain text', 'write', '/d'), { code: 'ERR', message: /plain text/ });
  const already = new QkvError('IOERR', 'x');
  t.equal(mapRocksError(already, 'write', '/d'), already, 'a QkvError passes through');
});

t.test('NotFound is recognised', async (t) => {
  t.ok(isNotFound(new Error('NotFound: ')));
  t.notOk(isNotFound(new Error('IO error')));
  t.notOk(isNotFound('NotFound'));
});
