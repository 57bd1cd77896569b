import type { LocalStore } from '../storage/local-store.js';
import type { VersionedObject } from '../versioning/types.js';
import { keyIdentity, type KeyIdentity } from './version-hash.js';

export interface FoundRecord {
  readonly key: Buffer;
  readonly obj: VersionedObject;
  readonly pos: bigint;
  readonly tag: number;
}

const PAGE = 64;

function idText(pos: bigint, tag: number): string {
  return `${pos.toString(16)}:${tag}`;
}

/**
 * The stored records of the keys named by (position, tag), all inside
 * [.., end): a tree lists identities, storage is keyed by key bytes. Scans
 * short pages from each wanted position onwards, so keys that lie close
 * together (a whole leaf missing on a peer) cost one pass over that stretch.
 * Keys not stored are left out.
 */
export async function readByIdentity(store: LocalStore, wanted: readonly KeyIdentity[], end: bigint): Promise<FoundRecord[]> {
  const items = [...wanted].sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
  const want = new Set(items.map((i) => idText(i.pos, i.tag)));
  const out: FoundRecord[] = [];
  let i = 0;
  while (i < items.length) {
    const from = items[i]!.pos;
    const page = await store.scan({ from, to: end, limit: PAGE });
    for (const e of page.entries) {
      const id = keyIdentity(e.key);
      if (want.has(idText(e.hash, id.tag))) out.push({ key: e.key, obj: e.obj, pos: e.hash, tag: id.tag });
    }
    // The page covered every position in [from, next): wanted keys there that it did not hold are not stored.
    const covered = page.next ?? end;
    while (i < items.length && items[i]!.pos < covered) i++;
  }
  return out;
}
