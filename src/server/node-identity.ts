import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { QkvError } from '../core/errors.js';
import { isValidNodeId } from '../core/ids.js';

const FILE = 'node-id';

/**
 * The node's stable identity: --node-id if given, else the id stored in the
 * data dir, else a new random one, written there (atomically) for restarts.
 * A data dir that belongs to another id is refused: it holds that node's data.
 */
export function resolveNodeId(dataDir: string, configured: string | undefined): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  let stored: string | undefined;
  try {
    stored = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (configured !== undefined && !isValidNodeId(configured)) {
    throw new QkvError('ERR', `--node-id: '${configured}' is not a valid node id (letters, digits, '.', '_', '-'; at most 64)`);
  }
  if (stored && configured && stored !== configured) {
    throw new QkvError('ERR', `the data dir ${dataDir} belongs to node '${stored}', not '${configured}'`);
  }
  const id = configured ?? stored ?? 'n' + randomBytes(6).toString('hex');
  if (stored !== id) {
    writeFileSync(path + '.tmp', id + '\n');
    renameSync(path + '.tmp', path);
  }
  return id;
}
