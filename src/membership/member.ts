import { isValidNodeId } from '../core/ids.js';
import { MAX_VNODES, type MemberState } from '../ring/types.js';
import { formatAddress, type PeerAddress } from '../transport/types.js';

/**
 * What every node knows about a member of the cluster: its identity and
 * fault domains (which place it on the ring), where clients reach it (RESP)
 * and where peers reach it (RPC). Each node is the only authority on its
 * own record; its `incarnation` grows each time it starts, refutes a
 * suspicion or changes its record, so a newer record of a member always
 * replaces an older one wherever it travels.
 */
export interface MemberInfo {
  readonly id: string;
  readonly rack: string;
  readonly dc: string;
  readonly vnodes: number;
  readonly state: MemberState;
  /** RESP address for clients. */
  readonly address: PeerAddress;
  /** Peer RPC (and gossip) address. */
  readonly peer: PeerAddress;
  readonly incarnation: number;
  /**
   * Why the member steps aside as a coordinator and replica (its disk fails
   * or stalls); absent while it is healthy. It stays alive in SWIM and keeps
   * its ranges: peers route around it as around an unreachable member.
   */
  readonly unhealthy?: string;
}

/** Longest reason a member record carries (records travel in 1400-byte datagrams). */
export const MAX_UNHEALTHY_CHARS = 160;

const STATES: ReadonlySet<string> = new Set(['joining', 'normal', 'leaving']);
const DOMAIN_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const HOST_MAX = 255;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function parseAddress(v: unknown): PeerAddress | null {
  if (!isRecord(v)) return null;
  const { host, port } = v;
  if (typeof host !== 'string' || host.length === 0 || host.length > HOST_MAX) return null;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host, port };
}

/**
 * A member record from a peer or from disk, or null when it is not one
 * (wrong shape, bad id, out-of-range numbers). Records cross the network,
 * so nothing here trusts its input.
 */
export function parseMember(v: unknown): MemberInfo | null {
  if (!isRecord(v)) return null;
  const { id, rack, dc, vnodes, state } = v;
  // Tables written before incarnations were named call the number a generation.
  const incarnation = v.incarnation ?? v.generation;
  if (typeof id !== 'string' || !isValidNodeId(id)) return null;
  if (typeof rack !== 'string' || !DOMAIN_RE.test(rack) || typeof dc !== 'string' || !DOMAIN_RE.test(dc)) return null;
  if (typeof vnodes !== 'number' || !Number.isInteger(vnodes) || vnodes < 1 || vnodes > MAX_VNODES) return null;
  if (typeof state !== 'string' || !STATES.has(state)) return null;
  if (typeof incarnation !== 'number' || !Number.isSafeInteger(incarnation) || incarnation < 0) return null;
  const address = parseAddress(v.address);
  const peer = parseAddress(v.peer);
  if (!address || !peer) return null;
  const unhealthy = typeof v.unhealthy === 'string' && v.unhealthy.length > 0 ? v.unhealthy.slice(0, MAX_UNHEALTHY_CHARS) : undefined;
  return { id, rack, dc, vnodes, state: state as MemberState, address, peer, incarnation, ...(unhealthy ? { unhealthy } : {}) };
}

/** Parses a list of records, dropping the malformed ones. */
export function parseMembers(v: unknown): MemberInfo[] {
  if (!Array.isArray(v)) return [];
  const out: MemberInfo[] = [];
  for (const item of v) {
    const m = parseMember(item);
    if (m) out.push(m);
  }
  return out;
}

/** The record as a plain object (for the wire and for disk). */
export function encodeMember(m: MemberInfo): Record<string, unknown> {
  return {
    id: m.id,
    rack: m.rack,
    dc: m.dc,
    vnodes: m.vnodes,
    state: m.state,
    address: { host: m.address.host, port: m.address.port },
    peer: { host: m.peer.host, port: m.peer.port },
    incarnation: m.incarnation,
    ...(m.unhealthy ? { unhealthy: m.unhealthy } : {}),
  };
}

/** Whether two records say the same thing (the incarnation included). */
export function sameMember(a: MemberInfo, b: MemberInfo): boolean {
  return (
    a.id === b.id &&
    a.rack === b.rack &&
    a.dc === b.dc &&
    a.vnodes === b.vnodes &&
    a.state === b.state &&
    a.incarnation === b.incarnation &&
    a.unhealthy === b.unhealthy &&
    formatAddress(a.address) === formatAddress(b.address) &&
    formatAddress(a.peer) === formatAddress(b.peer)
  );
}
