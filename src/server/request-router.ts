import { QkvError } from '../core/errors.js';
import { isCoordinatorMessage } from '../coordinator/messages.js';
import { isMembershipMessage } from '../membership/swim-options.js';
import { isPubSubMessage } from '../pubsub/messages.js';
import type { Message } from '../transport/types.js';

export interface RouteTable {
  readonly nodeId: string;
  /** Merkle-tree exchanges ('a.*'), when the node runs anti-entropy. */
  readonly antiEntropy: { handles(msg: unknown): boolean; handleRequest(from: string, msg: unknown): Promise<unknown> } | null;
  /** Range streaming ('s.*'). */
  readonly streaming: { handles(msg: unknown): boolean; handleRequest(from: string, msg: unknown): Promise<unknown> };
  /** SWIM push-pull ('m.*'); null until the node has joined. */
  readonly membership: () => { handleRequest(from: string, msg: Message): unknown } | null;
  /** The data path ('r.*', 'c.*', 'h.store'). */
  readonly coordinator: { handleRequest(from: string, msg: unknown): Promise<unknown> };
  /** Messages published on other nodes ('p.*'); absent, they are refused like any unknown type. */
  readonly pubsub?: { handleRequest(from: string, msg: unknown): unknown };
  /** Scripts sent to run at their keys' replica ('x.eval'); absent, they are refused like any unknown type. */
  readonly scripts?: { handles(msg: unknown): boolean; handleRequest(from: string, msg: unknown): Promise<unknown> };
  /** ACL state and versions from other nodes ('l.*'); absent, they are refused like any unknown type. */
  readonly acl?: { handles(msg: unknown): boolean; handleRequest(from: string, msg: unknown): Promise<unknown> };
}

/**
 * The one place a node's peer requests are dispatched, by type. A type no
 * subsystem claims is refused here with reason 'unknown-request', so a peer
 * speaking a newer (or broken) protocol hears exactly that, and no
 * subsystem sees a message it never asked for.
 */
export function requestRouter(table: RouteTable): (from: string, msg: unknown) => Promise<unknown> {
  return async (from, msg) => {
    if (table.antiEntropy?.handles(msg)) return table.antiEntropy.handleRequest(from, msg);
    if (table.streaming.handles(msg)) return table.streaming.handleRequest(from, msg);
    if (isCoordinatorMessage(msg)) return table.coordinator.handleRequest(from, msg);
    if (table.pubsub && isPubSubMessage(msg)) return table.pubsub.handleRequest(from, msg);
    if (table.scripts?.handles(msg)) return table.scripts.handleRequest(from, msg);
    if (table.acl?.handles(msg)) return table.acl.handleRequest(from, msg);
    if (isMembershipMessage(msg)) {
      const membership = table.membership();
      if (!membership) throw new QkvError('UNAVAILABLE', `${table.nodeId} has not joined yet`);
      return membership.handleRequest(from, msg as Message);
    }
    throw new QkvError('ERR', `unknown peer request type ${describeType(msg)}`, 'unknown-request');
  };
}

/** The message's type for the error text: quoted and cut short, or what it is instead of a string. */
function describeType(msg: unknown): string {
  const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  if (typeof type === 'string') return `'${type.slice(0, 32)}'`;
  return type === undefined ? '(none)' : `(a ${typeof type})`;
}
