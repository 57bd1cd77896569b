import { createHmac, timingSafeEqual } from 'node:crypto';
import { isValidNodeId } from '../core/ids.js';
import { ProtocolViolation } from './envelope.js';

/**
 * The first frames on every peer connection. The dialer sends HELLO with its
 * node id, cluster name, protocol version and a fresh nonce; the acceptor
 * answers WELCOME with the same fields, its own nonce and, when a cluster
 * secret is set, a proof for the dialer's nonce; the dialer checks it and
 * sends AUTH with its proof for the acceptor's nonce; the acceptor answers
 * READY or REFUSED. Either side may send REFUSED and close.
 *
 * proof = HMAC-SHA256(secret, role || nonce || own node id), where role tells
 * dialer from acceptor so one side's proof can never be replayed as the
 * other's (an acceptor cannot be used to sign a dialer's challenge). This
 * authenticates peers; it does not encrypt the stream.
 */
export const PROTOCOL_VERSION = 1;
export const NONCE_BYTES = 32;
/** Frames before READY are small; a larger one is refused without buffering it. */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

export const HELLO = 16;
export const WELCOME = 17;
export const AUTH = 18;
export const READY = 19;
export const REFUSED = 20;

export type Role = 'dialer' | 'acceptor';

export interface LocalIdentity {
  readonly nodeId: string;
  readonly cluster: string;
  readonly secret: Buffer | null;
  /**
   * The cluster's replica placement every node must share (`--replicas-per-dc`
   * as text); '' or absent: none. Peers with another are refused.
   */
  readonly placement?: string;
  /** The replication factor (`--n`) every node must share; absent: not checked. */
  readonly replicas?: number;
}

export interface PeerHello {
  readonly version: number;
  readonly cluster: string;
  readonly node: string;
  readonly nonce: Buffer;
  /** Absent or '' when the peer has none. */
  readonly placement?: string;
  /** The peer's `--n`; absent from a node of an earlier version, which is let in (a rolling upgrade). */
  readonly replicas?: number;
  /** Only in WELCOME. */
  readonly proof: Buffer | null;
}

/** The other side refused us; reason is theirs. */
export class HandshakeRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HandshakeRefused';
  }
}

export function computeProof(secret: Buffer, role: Role, nonce: Buffer, nodeId: string): Buffer {
  return createHmac('sha256', secret)
    .update(role === 'dialer' ? 'qkv-dialer\0' : 'qkv-acceptor\0')
    .update(nonce)
    .update(nodeId, 'utf8')
    .digest();
}

/** Whether proof is what `nodeId`, playing `role`, had to answer to `nonce`. */
export function verifyProof(secret: Buffer, role: Role, nonce: Buffer, nodeId: string, proof: Buffer | null): boolean {
  if (!proof) return false;
  const expected = computeProof(secret, role, nonce, nodeId);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}

/** Sent only when set, so nodes without a placement speak as before. */
function placementField(me: LocalIdentity): { placement?: string; n?: number } {
  return { ...(me.placement ? { placement: me.placement } : {}), ...(me.replicas !== undefined ? { n: me.replicas } : {}) };
}

export function helloFrame(me: LocalIdentity, nonce: Buffer): unknown[] {
  return [HELLO, { v: PROTOCOL_VERSION, cluster: me.cluster, node: me.nodeId, nonce, ...placementField(me) }];
}

export function welcomeFrame(me: LocalIdentity, nonce: Buffer, dialerNonce: Buffer): unknown[] {
  const proof = me.secret ? computeProof(me.secret, 'acceptor', dialerNonce, me.nodeId) : null;
  return [WELCOME, { v: PROTOCOL_VERSION, cluster: me.cluster, node: me.nodeId, nonce, proof, ...placementField(me) }];
}

export function authFrame(me: LocalIdentity, acceptorNonce: Buffer): unknown[] {
  const proof = me.secret ? computeProof(me.secret, 'dialer', acceptorNonce, me.nodeId) : null;
  return [AUTH, { proof }];
}

export function readyFrame(): unknown[] {
  return [READY];
}

export function refusedFrame(reason: string): unknown[] {
  return [REFUSED, reason];
}

/** Reads HELLO (acceptor) or WELCOME (dialer); throws HandshakeRefused or ProtocolViolation. */
export function parseHello(value: unknown, kind: typeof HELLO | typeof WELCOME): PeerHello {
  const body = expectFrame(value, kind);
  if (!isRecord(body)) throw new ProtocolViolation('malformed handshake');
  const { v, cluster, node, nonce, proof, placement, n } = body;
  if (typeof v !== 'number' || typeof cluster !== 'string' || typeof node !== 'string' || !Buffer.isBuffer(nonce)) {
    throw new ProtocolViolation('malformed handshake');
  }
  if (nonce.length !== NONCE_BYTES) throw new ProtocolViolation('malformed handshake nonce');
  if (proof !== undefined && proof !== null && !Buffer.isBuffer(proof)) throw new ProtocolViolation('malformed handshake proof');
  if (placement !== undefined && typeof placement !== 'string') throw new ProtocolViolation('malformed handshake placement');
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1)) throw new ProtocolViolation('malformed handshake replication factor');
  return { version: v, cluster, node, nonce, proof: proof ?? null, ...(placement ? { placement } : {}), ...(n !== undefined ? { replicas: n } : {}) };
}

/** Reads AUTH; returns the dialer's proof (null without a secret). */
export function parseAuth(value: unknown): Buffer | null {
  const body = expectFrame(value, AUTH);
  if (!isRecord(body)) throw new ProtocolViolation('malformed auth');
  const { proof } = body;
  if (proof === null || proof === undefined) return null;
  if (!Buffer.isBuffer(proof)) throw new ProtocolViolation('malformed auth');
  return proof;
}

export function parseReady(value: unknown): void {
  expectFrame(value, READY);
}

/**
 * Why a peer's HELLO/WELCOME cannot be admitted, or null. Checked on both
 * sides; the proof is checked separately because each side proves different things.
 */
export function admissionProblem(me: LocalIdentity, peer: PeerHello): string | null {
  if (peer.version !== PROTOCOL_VERSION) return `protocol version ${peer.version} is not ${PROTOCOL_VERSION}`;
  if (peer.cluster !== me.cluster) return `cluster '${peer.cluster}' is not '${me.cluster}'`;
  if (!isValidNodeId(peer.node)) return 'invalid node id';
  if (peer.node === me.nodeId) return 'peer claims this node id';
  const mine = me.placement ?? '';
  const theirs = peer.placement ?? '';
  if (theirs !== mine) return `replicas per DC differ: node ${peer.node} has '${theirs || 'none'}', node ${me.nodeId} has '${mine || 'none'}' (every node must give the same --replicas-per-dc)`;
  // Nodes with different N would ask different replica sets for one key, and a read could miss an acknowledged write.
  if (peer.replicas !== undefined && me.replicas !== undefined && peer.replicas !== me.replicas) {
    return `replication factor differs: node ${peer.node} has --n ${peer.replicas}, node ${me.nodeId} has --n ${me.replicas} (every node must give the same --n)`;
  }
  return null;
}

function expectFrame(value: unknown, kind: number): unknown {
  if (!Array.isArray(value) || value.length < 1) throw new ProtocolViolation('malformed handshake');
  if (value[0] === REFUSED) throw new HandshakeRefused(typeof value[1] === 'string' ? value[1] : 'refused');
  if (value[0] !== kind) throw new ProtocolViolation('unexpected handshake frame');
  return value[1];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
