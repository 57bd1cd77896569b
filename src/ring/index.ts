/**
 * The ring as pure data: who replicates which part of the 64-bit key space.
 *
 * - A key's position is `keyHash` (src/core/hash.ts). It is owned by the first
 *   token strictly greater than it, wrapping past the last, so a token owns
 *   [previous token, token) and ranges are half-open like storage scans.
 * - Each member places `vnodes` tokens, `vnodeToken(id, i)`, so every node
 *   computes the same ring from the member list; nothing else is exchanged.
 * - Replicas: distinct nodes clockwise, one per rack (a (dc, rack) pair)
 *   before any rack gets a second; see placement.ts. With replicas per DC,
 *   the same rule inside each DC for that DC's count; see dc-placement.ts.
 */
export * from './types.js';
export { vnodeToken, nodeTokens, type TokenOf } from './tokens.js';
export { Ring, type RingOptions } from './ring.js';
export { diffRings } from './diff.js';
export { totalReplicas, validateDcReplicas, type DcReplicas } from './dc-placement.js';
