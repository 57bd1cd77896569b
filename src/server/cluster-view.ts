import { keyHash } from '../core/hash.js';
import type { MemberSnapshot } from '../membership/swim-options.js';
import type { Ring } from '../ring/ring.js';
import { formatAddress } from '../transport/types.js';
import type { ClusterDcView, ClusterMemberView, ClusterView } from '../commands/types.js';
import type { DcLagSummary } from '../coordinator/dc-lag.js';
import type { Streaming } from './streaming-wiring.js';

export interface ClusterViewSources {
  readonly nodeId: string;
  readonly n: number;
  readonly ring: () => Ring;
  /** Every member as gossip knows it (empty before join). */
  readonly members: () => MemberSnapshot[];
  readonly hints: () => Record<string, unknown>;
  readonly repair: () => Record<string, unknown>;
  readonly notServing: () => string[];
  readonly streaming: Streaming;
  /** This node's live keys and bytes on disk. */
  readonly selfLoad?: () => { keys: number; bytes: number };
  /** The recent lag of this node's writes to each remote DC. */
  readonly dcLag?: () => DcLagSummary[];
}

/** Hints pending and their bytes per DC of their target (targets in this node's own DC left out), from hint status by target. */
export function hintsByRemoteDc(ring: Ring, self: string, byTarget: Readonly<Record<string, unknown>>): Record<string, { pending: number; bytes: number }> {
  const own = ring.dcOf(self);
  const out: Record<string, { pending: number; bytes: number }> = {};
  for (const [target, st] of Object.entries(byTarget)) {
    const dc = ring.dcOf(target);
    const { pending, bytes } = (st ?? {}) as { pending?: unknown; bytes?: unknown };
    if (dc === undefined || dc === own || typeof pending !== 'number') continue;
    const sum = (out[dc] ??= { pending: 0, bytes: 0 });
    sum.pending += pending;
    sum.bytes += typeof bytes === 'number' ? bytes : 0;
  }
  return out;
}

function dcViews(s: ClusterViewSources): ClusterDcView[] | undefined {
  const ring = s.ring();
  if (!ring.replicasPerDc) return undefined;
  const own = ring.dcOf(s.nodeId);
  const members = s.members().filter((m) => m.status !== 'left');
  const hints = hintsByRemoteDc(ring, s.nodeId, s.hints());
  const lags = new Map((s.dcLag?.() ?? []).map((l) => [l.dc, l]));
  return ring.replicasPerDc.map(({ dc }) => {
    const here = members.filter((m) => m.info.dc === dc);
    const lag = lags.get(dc);
    return {
      dc,
      local: dc === own,
      members: here.length,
      alive: here.filter((m) => m.status === 'alive').length,
      hintsPending: hints[dc]?.pending ?? 0,
      hintsPendingBytes: hints[dc]?.bytes ?? 0,
      ...(lag ? { lag: { p50Ms: round(lag.p50Ms), p99Ms: round(lag.p99Ms), samples: lag.samples } } : {}),
    };
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** What admin commands (CLUSTER, QKV.RING, QKV.LEAVE, ...) see of a node in a cluster. */
export function clusterView(s: ClusterViewSources): ClusterView {
  const { nodeId, n, streaming } = s;
  return {
    self: nodeId,
    members: () => {
      const ring = s.ring();
      return s.members().map(({ info: m, status, phi }): ClusterMemberView => {
        const own = ring.ownership(m.id, n);
        return {
          id: m.id,
          address: formatAddress(m.address),
          peerAddress: formatAddress(m.peer),
          status,
          state: m.state,
          rack: m.rack,
          dc: m.dc,
          ownership: own.primary,
          replicaOwnership: own.replica,
          phi: m.id === nodeId ? null : Math.round(phi * 100) / 100,
          ...(m.unhealthy ? { unhealthy: m.unhealthy } : {}),
          // Only this node's own load is known here; `quorumkv status` asks each member for its own.
          ...(m.id === nodeId && s.selfLoad ? s.selfLoad() : {}),
        };
      });
    },
    replicasOf: (key) => s.ring().preferenceList(keyHash(key), n),
    replicasPerDc: () => s.ring().replicasPerDc,
    hints: s.hints,
    dcs: () => dcViews(s),
    repair: s.repair,
    notServing: s.notServing,
    ring: () => streaming.ring() ?? { n, ranges: 0, pending: false, members: [] },
    streams: () => streaming.streams(),
    leave: () => streaming.leave(),
    remove: (id) => streaming.remove(id),
  };
}

/** One INFO line per member: id=...,address=...,status=... */
export function memberLines(members: readonly MemberSnapshot[]): Array<readonly [string, string]> {
  return members.map((s, i) => [
    `member${i}`,
    `id=${s.info.id},address=${formatAddress(s.info.address)},peer=${formatAddress(s.info.peer)},status=${s.status},rack=${s.info.rack},dc=${s.info.dc}`,
  ]);
}
