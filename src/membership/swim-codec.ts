import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { isValidNodeId } from '../core/ids.js';
import { decodeMessage, encodeMessage } from '../transport/codec.js';
import type { PeerAddress } from '../transport/types.js';
import { encodeMember, parseMember } from './member.js';
import type { GossipUpdate } from './member-state.js';

/**
 * SWIM datagrams on the wire: a 16-byte tag (HMAC-SHA256 of the body keyed
 * by the cluster secret, truncated) followed by a msgpack body carrying the
 * protocol version, the sender's boot id and datagram sequence, the message
 * and piggybacked updates. Each update is its own msgpack blob inside the
 * body, so the sender can count exactly how many fit in one datagram.
 * Without a cluster secret a built-in key still catches corruption (it
 * proves nothing about the sender).
 *
 * Freshness (version 2): the boot id is the incarnation the sender took at
 * start, which grows with every restart, and the sequence counts the
 * datagrams of that boot from 1; together they never repeat, so the
 * receiver's replay guard (replay-guard.ts) can refuse a datagram seen
 * before. Version 1 carried neither and is refused: accepting it would
 * accept any captured version-1 datagram forever.
 */
export const GOSSIP_PROTOCOL_VERSION = 2;
export const MAC_BYTES = 16;
const BUILT_IN_KEY = 'quorumkv-gossip-unauthenticated';
/** Bytes one bin entry adds to the update array, beyond its payload (bin16 header at worst). */
const ENTRY_OVERHEAD = 3;
/** Room for the update array's header and the growing sequence number. */
const ARRAY_SLACK = 2 + 8;

export type SwimMessage =
  /** Are you there? `to` is the target's id: a different node at that address does not answer. `nonce` names the probe. */
  | { readonly t: 'ping'; readonly nonce: number; readonly from: string; readonly to: string }
  /** The answer to the ping (or ping-req) with this nonce. */
  | { readonly t: 'ack'; readonly nonce: number; readonly from: string }
  /** Nothing but piggybacked updates, sent between probes so news spreads faster than one probe a period. */
  | { readonly t: 'gossip'; readonly from: string }
  /** Please ping `to` at `addr` for me and relay its ack with my `nonce`. */
  | { readonly t: 'ping-req'; readonly nonce: number; readonly from: string; readonly to: string; readonly addr: PeerAddress };

export type SwimMessageType = SwimMessage['t'];

export type DropReason = 'too-short' | 'oversize' | 'bad-mac' | 'malformed' | 'version';

/** Where a datagram stands in its sender's life: the boot id and the datagram's number within that boot. */
export interface Freshness {
  readonly boot: number;
  readonly seq: number;
}

export type Opened =
  | { readonly ok: true; readonly msg: SwimMessage; readonly updates: GossipUpdate[]; readonly fresh: Freshness }
  | { readonly ok: false; readonly reason: DropReason };

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
  if (!kind || !isId(v.i) || !isId(v.b) || !isCount(v.n)) return null;
  return { kind, id: v.i, incarnation: v.n, by: v.b };
}

export class SwimCodec {
  private readonly key: KeyObject;
  private seq = 0;

  /** `boot`: this process's boot id (the incarnation it started with). */
  constructor(
    secret: string | null | undefined,
    readonly maxBytes: number,
    private readonly boot = 0,
  ) {
    this.key = createSecretKey(Buffer.from(secret ?? BUILT_IN_KEY, 'utf8'));
  }

  /**
   * Encodes msg with as many updates as fit: `first` (already encoded,
   * always tried first) then whatever `take(budget, overhead)` hands out.
   */
  seal(msg: SwimMessage, first: readonly Buffer[], take: (budget: number, overhead: number) => Buffer[]): Buffer {
    this.seq++;
    const header = wireHeader(msg, { boot: this.boot, seq: this.seq });
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
    const { b: boot, q: seq } = doc;
    if (!msg || !Array.isArray(doc.u) || !isCount(boot) || !isCount(seq)) return { ok: false, reason: 'malformed' };
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
    return { ok: true, msg, updates, fresh: { boot, seq } };
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function wireHeader(msg: SwimMessage, fresh: Freshness): Record<string, unknown> {
  const base = { v: GOSSIP_PROTOCOL_VERSION, b: fresh.boot, q: fresh.seq, t: msg.t, f: msg.from };
  if (msg.t === 'gossip') return base;
  if (msg.t === 'ack') return { ...base, n: msg.nonce };
  if (msg.t === 'ping') return { ...base, n: msg.nonce, to: msg.to };
  return { ...base, n: msg.nonce, to: msg.to, h: msg.addr.host, p: msg.addr.port };
}

function parseHeader(doc: Record<string, unknown>): SwimMessage | null {
  const { t, n: nonce, f: from, to } = doc;
  if (!isId(from)) return null;
  if (t === 'gossip') return { t, from };
  if (!isCount(nonce)) return null;
  if (t === 'ack') return { t, nonce, from };
  if (!isId(to)) return null;
  if (t === 'ping') return { t, nonce, from, to };
  if (t !== 'ping-req') return null;
  const { h: host, p: port } = doc;
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) return null;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { t, nonce, from, to, addr: { host, port } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && isValidNodeId(v);
}

/** An incarnation, boot id, sequence or nonce: a non-negative safe integer. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
