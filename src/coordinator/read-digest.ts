import { versionDigest } from '../antientropy/version-hash.js';
import type { VersionedObject } from '../versioning/types.js';

const NO_KEY = Buffer.alloc(0);

/**
 * What a digest read compares: 64 bits over a copy's clock, each sibling's
 * dot and tombstone flag, timestamps, expiry and value (anti-entropy's
 * version digest without the key, which both sides know). Two copies with
 * the same digest are the same version; null stands for no copy.
 */
export function readDigest(obj: VersionedObject | undefined): bigint | null {
  return obj ? versionDigest(NO_KEY, obj) : null;
}
