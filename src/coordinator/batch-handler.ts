import { QkvError } from '../core/errors.js';
import { decodeObject, encodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import { errorResult, okResult, parseBatchItems, readResult, type ReadCopy } from './batch-messages.js';
import { readDigest } from './read-digest.js';
import type { ReplicaService } from './replica-service.js';

/**
 * A replica's answer to an r.batch frame (batch-messages.ts): its merges go
 * through ReplicaService.mergeBatch (one storage batch, one timer), its
 * reads through one ReplicaService.get, and every item is answered on its
 * own. Only a frame that is not a list of items is refused whole; nothing
 * of it is then carried out.
 */
export async function handleBatch(replica: ReplicaService, msg: Record<string, unknown>, maxReplyBytes: number): Promise<{ results: unknown[] }> {
  const items = parseBatchItems(msg);
  const results: unknown[] = new Array(items.length);
  const merges: Array<{ key: Buffer; obj: VersionedObject; epoch: number }> = [];
  const mergeAt: number[] = [];
  const readKeys: Buffer[] = [];
  const reads: Array<{ at: number; from: number; count: number; digests: Array<bigint | null> | null }> = [];
  items.forEach((item, i) => {
    if (item === null) {
      results[i] = errorResult(new QkvError('ERR', 'bad request: malformed r.batch item'));
    } else if (item.op === 'm') {
      try {
        merges.push({ key: item.key, obj: decodeObject(item.obj), epoch: item.epoch });
        mergeAt.push(i);
      } catch (err) {
        results[i] = errorResult(new QkvError('ERR', `bad request: ${(err as Error).message}`));
      }
    } else {
      reads.push({ at: i, from: readKeys.length, count: item.keys.length, digests: item.op === 'd' ? item.digests : null });
      for (const k of item.keys) readKeys.push(k);
    }
  });
  const [merged, read] = await Promise.all([
    merges.length > 0 ? replica.mergeBatch(merges) : [],
    reads.length > 0 ? replica.get(readKeys).catch((err: unknown) => err as Error) : undefined,
  ]);
  merged.forEach((err, j) => (results[mergeAt[j]!] = err ? errorResult(err) : okResult()));
  if (read instanceof Error) {
    for (const r of reads) results[r.at] = errorResult(read);
  } else if (read) {
    // The reads share the reply's byte budget: the first gets at least one copy, the others what fits (maybe
    // nothing), and their readers ask again for the rest.
    let bytes = 0;
    for (const r of reads) {
      const out: ReadCopy[] = [];
      for (let k = 0; k < r.count; k++) {
        if (bytes >= maxReplyBytes && (out.length > 0 || r !== reads[0])) break;
        const o = read.objs[r.from + k];
        // A digest read gets only the copies that differ from the asker's.
        const same = r.digests !== null && readDigest(o) === r.digests[k];
        const b = same ? true : o ? encodeObject(o) : null;
        bytes += (b instanceof Buffer ? b.length : 0) + 8;
        out.push(b);
      }
      results[r.at] = readResult(read.epoch, out);
    }
  }
  return { results };
}
