import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { AntiEntropy, type AntiEntropyObserver, type AntiEntropyOptions } from '../antientropy/index.js';
import type { ClusterCoordinator } from '../coordinator/cluster-coordinator.js';
import type { Ring } from '../ring/ring.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import type { VersionedObject } from '../versioning/types.js';

/** Tunables of anti-entropy, from the node's options (each with its one default in src/config). */
export interface AntiEntropySettings {
  readonly intervalMs?: number;
  readonly fullPassMs?: number;
  readonly maxKeysPerSec?: number;
  readonly maxBytesPerSec?: number;
  readonly graceMs?: number;
  /** How long a peer has to answer one exchange request (default: the module's own). */
  readonly requestTimeoutMs?: number;
}

/**
 * Settings from the node's options alone. (Environment variables reach them
 * through the options loader, QKV_<OPTION>, below flags and above the config
 * file; nothing here reads the environment, so no variable can silently beat
 * an option.)
 */
export function settingsFromConfig(config: {
  readonly aeIntervalMs: number;
  readonly aeFullPassMs: number;
  readonly aeMaxKeysPerSec: number;
  readonly aeMaxBytesPerSec: number;
  readonly tombstoneGraceSeconds: number;
}): AntiEntropySettings {
  return {
    intervalMs: config.aeIntervalMs,
    fullPassMs: config.aeFullPassMs,
    maxKeysPerSec: config.aeMaxKeysPerSec,
    maxBytesPerSec: config.aeMaxBytesPerSec,
    graceMs: config.tombstoneGraceSeconds * 1000,
  };
}

export interface AttachDeps {
  readonly transport: RpcTransport;
  readonly ring: () => Ring;
  readonly isReachable: (peer: string) => boolean;
  /** Its replica: repairs enter this node's copy the way every other version does (ReplicaService.merge). */
  readonly coordinator: Pick<ClusterCoordinator, 'replica'>;
  readonly log?: AntiEntropyOptions['log'];
}

/**
 * Anti-entropy in a node, built in steps because its parts come at
 * different times: the purge gate goes to the record store when it opens
 * (canPurge), the tracked store goes to the coordinator (wrap), the
 * transport, ring and coordinator come once those exist (attach), and
 * exchanges start once membership has joined (start).
 */
export class AntiEntropyWiring {
  private ae: AntiEntropy | null = null;
  private deps: AttachDeps | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly nodeId: string,
    private readonly n: number,
    private readonly settings: AntiEntropySettings = {},
    private readonly observer?: AntiEntropyObserver,
  ) {}

  /** The tombstone grace period in ms (10 days unless set). */
  get graceMs(): number {
    return this.settings.graceMs ?? 10 * 86_400_000;
  }

  /** For RecordStoreOptions.canPurge: expired records wait for the collection rule (before wrap, a minute at a time). */
  readonly canPurge = (key: Buffer, obj: VersionedObject, now: number): boolean | number => (this.ae ? this.ae.canPurge(key, obj, now) : now + 60_000);

  /** The store to hand to the coordinator: every write through it keeps the Merkle trees current. */
  wrap(inner: AntiEntropyOptions['inner']): LocalStore {
    const { nodeId } = this;
    const attached = (): AttachDeps => {
      if (!this.deps) throw new QkvError('UNAVAILABLE', 'anti-entropy is not attached yet');
      return this.deps;
    };
    this.ae = new AntiEntropy({
      nodeId,
      n: this.n,
      clock: this.clock,
      transport: { request: (peer, msg, opts) => attached().transport.request(peer, msg, opts) },
      ring: () => attached().ring(),
      isReachable: (peer) => attached().isReachable(peer),
      inner,
      // The replica's own merge: under its key lock, refusing versions from before a FLUSHALL.
      mergeLocal: (key, obj, epoch) => attached().coordinator.replica.merge(key, obj, epoch),
      epoch: async () => {
        const replica = attached().coordinator.replica;
        await replica.ready();
        return replica.flushEpoch;
      },
      log: (level, msg, fields) => this.deps?.log?.(level, msg, fields),
      ...this.settings,
      ...(this.observer ? { observer: this.observer } : {}),
    });
    return this.ae.store;
  }

  attach(deps: AttachDeps): void {
    this.deps = deps;
  }

  handles(msg: unknown): boolean {
    return this.ae !== null && this.ae.handles(msg);
  }

  handleRequest(from: string, msg: unknown): Promise<unknown> {
    return this.ae!.handleRequest(from, msg);
  }

  /** Builds the trees and starts exchanging (after membership joined). */
  start(): void {
    if (this.deps) this.ae?.start();
  }

  prioritize(peer: string): void {
    if (this.deps) this.ae?.prioritize(peer);
  }

  /** One scheduler round now (a simulation's repair phase drives rounds itself). */
  runRound(): Promise<void> {
    return this.deps && this.ae ? this.ae.runRound() : Promise.resolve();
  }

  /** For ClusterView.repair(). */
  status(): Record<string, unknown> {
    return this.ae ? { ...this.ae.status() } : {};
  }

  async close(): Promise<void> {
    await this.ae?.close();
  }
}
