import { createHmac, timingSafeEqual } from 'node:crypto';
import { isValidNodeId } from '../core/ids.js';
import { decodeMessage, encodeMessage } from '../transport/codec.js';
import type { PeerAddress } from '../transport/types.js';
import { encodeMember, parseMember } from './member.js';
import type { GossipUpdate } from './member-state.js';

/**
 * SWIM datagrams on the wire: a 16-byte tag (HMAC-SHA256 of the body keyed
 * by the cluster secret, truncated) followed by a msgpack body carrying the
 * protocol version, the message and piggybacked updates. Each update is its
 * own msgpack blob inside the body, so the sender can count exactly how many
 * fit in one datagram. Without a cluster secret a built-in key still catches
 * corruption (it proves nothing about the sender).
 */
export const GOSSIP_PROTOCOL_VERSION = 1;
export const MAC_BYTES = 16;
const BUILT_IN_KEY = 'quorumkv-gossip-unauthenticated';
/** Bytes one bin entry adds to the update array, beyond its payload (bin16 header at worst). */
const ENTRY_OVERHEAD = 3;
/** Room for the update array's header to grow from fixarray to array16. */
const ARRAY_SLACK = 2;

export type SwimMessage =
  /** Are you there? `to` is the target's id: a different node at that address does not answer. */
  | { readonly t: 'ping'; readonly seq: number; readonly from: string; readonly to: string }
  | { readonly t: 'ack'; readonly seq: number; readonly from: string }
  /** Nothing but piggybacked updates, sent between probes so news spreads faster than one probe a period. */
  | { readonly t: 'gossip'; readonly seq: number; readonly from: string }
  /** Please ping `to` at `addr` for me and relay its ack with my `seq`. */
  | { readonly t: 'ping-req'; readonly seq: number; readonly from: string; readonly to: string; readonly addr: PeerAddress };

export type SwimMessageType = SwimMessage['t'];

export type DropReason = 'too-short' | 'oversize' | 'bad-mac' | 'malformed' | 'version';

export type Opened = { readonly ok: true; readonly msg: SwimMessage; readonly updates: GossipUpdate[] } | { readonly ok: false; readonly reason: DropReason };

export function encodeUpdate(u: GossipUpdate): Buffer {
  if (u.kind === 'alive') return encodeMessage({ k: 'a', m: encodeMember(u.member) });
  return encodeMessage({ k: u.kind[0], i: u.id, n: u.incarnation, b: u.by });
}

const KINDS: Record<string, 'suspect' | 'dead' | 'left'> = { s: 'suspect', d: 'dead', l: 'left' };

export function parseUpdate(v: unknown): GossipUpdate | null {
  if (!isRecord(v)) return null;
  if (v.k === 'a') {
    const member = parseMember(v.m);
    return member ? { kind: 'alive', member } : null;
  }
  const kind = typeof v.k === 'string' ? KINDS[v.k] : undefined;
  if (!kind || !isId(v.i) || !isId(v.b) || !isIncarnation(v.n)) return null;
  return { kind, id: v.i, incarnation: v.n, by: v.b };
}

export class SwimCodec {
  private readonly key: Buffer;

  constructor(
    secret: string | null | undefined,
    readonly maxBytes: number,
  ) {
    this.key = Buffer.from(secret ?? BUILT_IN_KEY, 'utf8');
  }

  /**
   * Encodes msg with as many updates as fit: `first` (already encoded,
   * always tried first) then whatever `take(budget, overhead)` hands out.
   */
  seal(msg: SwimMessage, first: readonly Buffer[], take: (budget: number, overhead: number) => Buffer[]): Buffer {
    const header = wireHeader(msg);
    const base = encodeMessage({ ...header, u: [] }).length + MAC_BYTES + ARRAY_SLACK;
    let budget = this.maxBytes - base;
    const updates: Buffer[] = [];
    for (const u of first) {
      if (u.length + ENTRY_OVERHEAD > budget) continue;
      updates.push(u);
      budget -= u.length + ENTRY_OVERHEAD;
    }
    if (budget > 0) updates.push(...take(budget, ENTRY_OVERHEAD));
    let body = encodeMessage({ ...header, u: updates });
    // The estimate is conservative; this only guards against a miscount.
    while (body.length + MAC_BYTES > this.maxBytes && updates.length > 0) {
      updates.pop();
      body = encodeMessage({ ...header, u: updates });
    }
    return Buffer.concat([this.tag(body), body]);
  }

  /** Checks and decodes a datagram; never throws. */
  open(datagram: Buffer): Opened {
    if (datagram.length > this.maxBytes) return { ok: false, reason: 'oversize' };
    if (datagram.length <= MAC_BYTES) return { ok: false, reason: 'too-short' };
    const body = datagram.subarray(MAC_BYTES);
    if (!timingSafeEqual(this.tag(body), datagram.subarray(0, MAC_BYTES))) return { ok: false, reason: 'bad-mac' };
    let doc: unknown;
    try {
      doc = decodeMessage(body);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!isRecord(doc)) return { ok: false, reason: 'malformed' };
    if (doc.v !== GOSSIP_PROTOCOL_VERSION) return { ok: false, reason: 'version' };
    const msg = parseHeader(doc);
    if (!msg || !Array.isArray(doc.u)) return { ok: false, reason: 'malformed' };
    const updates: GossipUpdate[] = [];
    for (const raw of doc.u as unknown[]) {
      if (!Buffer.isBuffer(raw)) return { ok: false, reason: 'malformed' };
      let value: unknown;
      try {
        value = decodeMessage(raw);
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      const u = parseUpdate(value);
      if (!u) return { ok: false, reason: 'malformed' };
      updates.push(u);
    }
    return { ok: true, msg, updates };
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function wireHeader(msg: SwimMessage): Record<string, unknown> {
  const base = { v: GOSSIP_PROTOCOL_VERSION, t: msg.t, s: msg.seq, f: msg.from };
  if (msg.t === 'ack' || msg.t === 'gossip') return base;
  if (msg.t === 'ping') return { ...base, to: msg.to };
  return { ...base, to: msg.to, h: msg.addr.host, p: msg.addr.port };
}

function parseHeader(doc: Record<string, unknown>): SwimMessage | null {
  const { t, s: seq, f: from, to } = doc;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || !isId(from)) return null;
  if (t === 'ack' || t === 'gossip') return { t, seq, from };
  if (!isId(to)) return null;
  if (t === 'ping') return { t, seq, from, to };
  if (t !== 'ping-req') return null;
  const { h: host, p: port } = doc;
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) return null;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { t, seq, from, to, addr: { host, port } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && isValidNodeId(v);
}

function isIncarnation(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
