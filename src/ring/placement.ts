import type { TokenTable } from './tokens.js';

/**
 * The replica order of the range owned by token `start`, as node indices, at
 * most `limit` long.
 *
 * Walking clockwise gives the distinct nodes in the order they are met. The
 * order puts the first node met of each rack first (in walk order), then
 * every other node (in walk order). So the first N are on distinct racks
 * whenever there are at least N racks, and otherwise cover every rack before
 * any rack gets a second replica (NetworkTopologyStrategy's rule).
 *
 * The order does not depend on `limit`: the list for N is a prefix of the list
 * for N+1, so fallbacks are simply what follows the first N. Adding a node
 * only ever inserts it into the order (pushing later nodes back), which is why
 * a join moves data only to the new node and a leave only from the leaver.
 */
export function placementOrder(table: TokenTable, start: number, limit: number): number[] {
  const { tokens, nodeAt, rackOf, rackCount } = table;
  const tokenCount = tokens.length;
  const want = Math.min(limit, table.nodes.length);
  const seenNode = new Uint8Array(table.nodes.length);
  const seenRack = new Uint8Array(rackCount);
  const firsts: number[] = [];
  const others: number[] = [];
  for (let step = 0; step < tokenCount && firsts.length + others.length < table.nodes.length; step++) {
    const node = nodeAt[(start + step) % tokenCount]!;
    if (seenNode[node]) continue;
    seenNode[node] = 1;
    const rack = rackOf[node]!;
    if (seenRack[rack]) {
      others.push(node);
    } else {
      seenRack[rack] = 1;
      firsts.push(node);
    }
    if (firsts.length >= want) break;
    // Once every rack is represented, nodes met later can only extend `others`.
    if (firsts.length === rackCount && firsts.length + others.length >= want) break;
  }
  const order = firsts.length >= want ? firsts : firsts.concat(others);
  return order.length > want ? order.slice(0, want) : order;
}
