import { QkvError, isQkvError } from '../core/errors.js';

/**
 * RocksDB reports failures as a Status string ("IO error: ...", "Corruption:
 * ...", "NotFound: "). These turn them into QkvErrors whose text tells an
 * operator what to do, keeping the original status for diagnosis.
 */
const LOCK_HELD = /lock/i;
const LOCK_REASON = /(Resource temporarily unavailable|lock hold by current process|No locks available)/i;
const DISK_FULL = /No space left on device|ENOSPC/i;
const IO_ERROR = /^IO error|Input\/output error|Read-only file system|Permission denied|EIO/i;
const CORRUPTION = /^Corruption/i;

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && /^NotFound/.test(err.message);
}

/** `what` names the operation ("open", "write", ...), `location` the data directory. */
export function mapRocksError(err: unknown, what: string, location: string): QkvError {
  if (isQkvError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (LOCK_HELD.test(msg) && LOCK_REASON.test(msg)) {
    return new QkvError(
      'IOERR',
      `data directory ${location} is in use by another process or another open store (RocksDB lock held); stop it or choose another --data-dir (${msg})`,
    );
  }
  if (DISK_FULL.test(msg)) {
    return new QkvError('IOERR', `${what} failed: disk full (No space left on device) under ${location}; free space and retry (${msg})`);
  }
  if (CORRUPTION.test(msg)) {
    return new QkvError('IOERR', `${what} failed: data corruption detected under ${location} (${msg})`);
  }
  if (IO_ERROR.test(msg)) {
    return new QkvError('IOERR', `${what} failed: I/O error under ${location} (${msg})`);
  }
  return new QkvError('ERR', `storage ${what} failed: ${msg}`);
}
