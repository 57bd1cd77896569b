import { QkvError } from '../core/errors.js';
import { RING_SIZE, stringHash } from '../core/hash.js';
import type { RingMember } from './types.js';

/** Where a member's vnode sits on the ring; injectable so tests can force collisions. */
export type TokenOf = (nodeId: string, index: number) => bigint;

/**
 * The default token of vnode `index` of `nodeId`: the ring position of the
 * string `${nodeId}#${index}`. Tokens follow from the id alone, so every node
 * computes the same ring from the member list and no tokens are gossiped.
 */
export function vnodeToken(nodeId: string, index: number): bigint {
  return stringHash(`${nodeId}#${index}`);
}

/** All tokens of one node, in vnode order (not sorted, duplicates kept). */
export function nodeTokens(nodeId: string, vnodes: number, tokenOf: TokenOf = vnodeToken): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < vnodes; i++) out.push(tokenOf(nodeId, i));
  return out;
}

/**
 * The ring's tokens in the form lookups want: parallel typed arrays sorted by
 * token, owners and racks as small integers.
 */
export interface TokenTable {
  /** Sorted ascending, no duplicates. */
  readonly tokens: BigUint64Array;
  /** Index into `nodes` of the owner of each token. */
  readonly nodeAt: Uint32Array;
  /** Owner ids, sorted. */
  readonly nodes: readonly string[];
  /** Rack index of each node; a rack is a (dc, rack) pair. */
  readonly rackOf: Uint32Array;
  readonly rackCount: number;
  /** DC index of each node, into `dcNames`. */
  readonly dcOf: Uint32Array;
  /** The DCs that own ranges, in order of first member id. */
  readonly dcNames: readonly string[];
}

/**
 * Builds the table for the members that own ranges. Two nodes drawing the
 * same token is resolved by id: the lowest id (UTF-16 order) keeps it and the
 * other node's copy is dropped. The winner depends only on the two ids, so a
 * join or leave never hands such a token to a third node. A member left with
 * no token at all (only possible through collisions) owns nothing.
 */
export function buildTokenTable(owners: readonly RingMember[], tokenOf: TokenOf): TokenTable {
  const sorted = [...owners].sort((a, b) => compareIds(a.id, b.id));
  const rawTokens: bigint[] = [];
  const rawNodes: number[] = [];
  sorted.forEach((m, k) => {
    for (const t of nodeTokens(m.id, m.vnodes, tokenOf)) {
      if (t < 0n || t >= RING_SIZE) throw new QkvError('ERR', `token ${t} of '${m.id}' is outside the ring`);
      rawTokens.push(t);
      rawNodes.push(k);
    }
  });
  const order = rawTokens.map((_, i) => i);
  // Ties on token fall back to member index, which is id order: the lowest id comes first and wins.
  order.sort((a, b) => {
    const ta = rawTokens[a]!;
    const tb = rawTokens[b]!;
    return ta < tb ? -1 : ta > tb ? 1 : rawNodes[a]! - rawNodes[b]!;
  });
  const tokens: bigint[] = [];
  const tokenMember: number[] = [];
  for (const i of order) {
    const t = rawTokens[i]!;
    if (tokens.length > 0 && tokens[tokens.length - 1] === t) continue;
    tokens.push(t);
    tokenMember.push(rawNodes[i]!);
  }
  // Number the members that kept a token, in id order, and their racks.
  const held = new Set(tokenMember);
  const nodeIndex = new Int32Array(sorted.length).fill(-1);
  const nodes: string[] = [];
  const nodeRacks: number[] = [];
  const racks = new Map<string, Map<string, number>>();
  const nodeDcs: number[] = [];
  const dcNames: string[] = [];
  let rackCount = 0;
  sorted.forEach((m, k) => {
    if (!held.has(k)) return;
    nodeIndex[k] = nodes.length;
    nodes.push(m.id);
    let inDc = racks.get(m.dc);
    if (!inDc) {
      racks.set(m.dc, (inDc = new Map()));
      dcNames.push(m.dc);
    }
    nodeDcs.push(dcNames.indexOf(m.dc));
    let rack = inDc.get(m.rack);
    if (rack === undefined) inDc.set(m.rack, (rack = rackCount++));
    nodeRacks.push(rack);
  });
  return {
    tokens: BigUint64Array.from(tokens),
    nodeAt: Uint32Array.from(tokenMember, (k) => nodeIndex[k]!),
    nodes,
    rackOf: Uint32Array.from(nodeRacks),
    rackCount,
    dcOf: Uint32Array.from(nodeDcs),
    dcNames,
  };
}

/** Plain code-unit order, independent of locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

