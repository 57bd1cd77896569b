import type { VersionVector } from '../versioning/types.js';
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { KvApi } from '../coordinator/api.js';
import type { Reply } from '../../resp/reply.js';
import type { PubSubHub } from '../pubsub/hub.js';
import type { Subscriber } from '../pubsub/registry.js';
import type { Scripting } from '../scripting/index.js';
import type { KeyspaceNotifier } from '../pubsub/keyspace-notifier.js';
import type { AclStore } from '../acl/acl-store.js';
import type { AclLog } from '../acl/acl-log.js';
import type { AclUser } from '../acl/user.js';

/** Per-connection state a command may read or change. */
export interface Session {
  readonly id: number;
  /** 2 or 3, changed by HELLO. */
  protocol: 2 | 3;
  authenticated: boolean;
  /** The ACL user this connection runs as (AUTH user pass); absent means 'default'. */
  user?: string | undefined;
  /** That user's rules as last looked up, and the ACL generation they were looked up at (acl-guard.ts). */
  aclUser?: AclUser | undefined;
  aclGeneration?: number | undefined;
  name: string;
  libName: string;
  libVersion: string;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly createdAt: number;
  /** Last command name, for CLIENT LIST/INFO. */
  lastCommand: string;
  /** The request being run, as sent (error texts that echo the name as typed). */
  currentArgv?: readonly Buffer[] | undefined;
  /** Set by QUIT: the connection closes after this reply is written. */
  closeAfterReply: boolean;
  /** MULTI/WATCH state (transactions.ts); absent until the first of them. */
  transaction?: TransactionState;
  /** Channels and patterns this client is subscribed to (pubsub.ts); absent until its first SUBSCRIBE. */
  pubsub?: Subscriber;
  /** CLIENT REPLY OFF or SKIP (client-reply.ts); absent while replies are on. */
  replies?: 'off' | 'skip';
  /** Writes a message out of turn (Pub/Sub); set by the connection. */
  deliver?: (reply: Reply) => void;
}

/** A transaction being queued on one connection (MULTI ... EXEC). */
export interface QueuedTransaction {
  readonly commands: Array<{ readonly spec: CommandSpec; readonly args: readonly Buffer[]; readonly fullName: string; readonly argv: readonly Buffer[] }>;
  /** A command was refused while queued: EXEC answers EXECABORT. */
  failed: boolean;
}

/** Per-connection transaction state, kept on the session. */
export interface TransactionState {
  multi: QueuedTransaction | null;
  /** Watched keys (latin1) and the clock each had when watched. */
  readonly watched: Map<string, { readonly key: Buffer; readonly clock: VersionVector }>;
}

/** One row of CLIENT LIST. */
export interface ClientView {
  readonly session: Session;
  readonly idleSeconds: number;
  readonly queryBufferBytes: number;
  readonly outputBufferBytes: number;
}

export interface ConfigParam {
  readonly name: string;
  get(): string;
}

/** One member of the cluster as the admin commands show it. */
export interface ClusterMemberView {
  readonly id: string;
  /** RESP address, host:port. */
  readonly address: string;
  /** Peer RPC address, host:port. */
  readonly peerAddress: string;
  readonly status: 'alive' | 'suspect' | 'dead' | 'left';
  readonly state: 'joining' | 'normal' | 'leaving';
  readonly rack: string;
  readonly dc: string;
  /** Share of the ring this member is the first replica of (0..1). */
  readonly ownership: number;
  /** Share of the ring this member holds one of the N replicas of (0..1). */
  readonly replicaOwnership: number;
  /** Failure-detector suspicion; null until the detector provides one. */
  readonly phi: number | null;
  /** Records and bytes the member stores, when known. */
  readonly keys?: number;
  readonly bytes?: number;
  /** Why the member steps aside as a coordinator and replica (its disk fails or stalls); absent while healthy. */
  readonly unhealthy?: string;
}

/** One range stream (join, leave, rebuild after a removal, cleanup of ranges handed over), for QKV.STREAMS and `quorumkv status`. */
export interface ClusterStreamView {
  readonly id: string;
  readonly kind: 'join' | 'leave' | 'remove' | 'cleanup';
  readonly direction: 'pull' | 'push' | 'delete';
  readonly peer: string | null;
  readonly state: 'running' | 'verifying' | 'waiting' | 'done' | 'failed' | 'stopped';
  readonly rangesDone: number;
  readonly rangesTotal: number;
  readonly keys: number;
  readonly bytes: number;
  readonly keysTotal: number | null;
  readonly keysPerSec: number;
  readonly bytesPerSec: number;
  readonly etaSeconds: number | null;
  readonly refetched: number;
  readonly startedAt: number;
  readonly error: string | null;
}

/** One datacenter in `quorumkv status` (replicas per DC only). */
export interface ClusterDcView {
  readonly dc: string;
  /** This node's own DC. */
  readonly local: boolean;
  readonly members: number;
  readonly alive: number;
  /** Hints this node keeps for replicas in that DC, and their bytes (what --dc-hint-max-bytes bounds). */
  readonly hintsPending: number;
  readonly hintsPendingBytes: number;
  /** Recent lag of this node's writes to that DC's replicas (remote DCs this node has written to). */
  readonly lag?: { readonly p50Ms: number; readonly p99Ms: number; readonly samples: number };
}

/** The ring's ranges and ownership per member, for QKV.RING. */
export interface ClusterRingView {
  readonly n: number;
  readonly ranges: number;
  readonly pending: boolean;
  readonly members: ReadonlyArray<{
    readonly id: string;
    readonly state: 'joining' | 'normal' | 'leaving';
    readonly vnodes: number;
    readonly ranges: number;
    readonly primary: number;
    readonly replica: number;
    readonly pendingReplica: number;
  }>;
}

/** The cluster as this node sees it, for the admin commands (QKV.MEMBERS, QKV.STATUS, QKV.REPLICAS). */
export interface ClusterView {
  readonly self: string;
  members(): ClusterMemberView[];
  /** The N replicas of a key, in preference order. */
  replicasOf(key: Buffer): readonly string[];
  /** Replicas per DC (`--replicas-per-dc`), or undefined when the cluster has none. */
  replicasPerDc?(): ReadonlyArray<{ readonly dc: string; readonly count: number }> | undefined;
  /** Hinted handoff progress ({} until there is any). */
  hints(): Record<string, unknown>;
  /** Each DC as this node sees it (replicas per DC only): members, and toward remote DCs the lag and hints pending. */
  dcs?(): ClusterDcView[] | undefined;
  /** Anti-entropy repair progress ({} until there is any). */
  repair(): Record<string, unknown>;
  /** Why this node does not serve now (a failing disk, a ring still forming); empty when it does. */
  notServing?(): string[];
  /** Ranges and ownership (QKV.RING); absent on a single node. */
  ring?(): ClusterRingView;
  /**
   * Starts this node's graceful leave (QKV.LEAVE): throws QkvError when it
   * cannot leave; otherwise returns once the leave has begun (it goes on in the background).
   */
  leave?(): void | Promise<void>;
  /** Removes a dead member from the ring (QKV.REMOVE); throws QkvError when it may not. */
  remove?(id: string): void | Promise<void>;
  /** Range streams in flight and recently finished (QKV.STREAMS). */
  streams?(): ClusterStreamView[];
}

/**
 * What the server (the process owner) offers commands: introspection and
 * settings. Kept narrow so commands never reach sockets or disks themselves.
 */
export interface ServerApi {
  readonly nodeId: string;
  readonly version: string;
  readonly startedAt: number;
  readonly tcpPort: number;
  /** Password required by AUTH, or null when none is set. */
  requirePass(): string | null;
  clients(): ClientView[];
  /** Closes a client by id; false if none. */
  killClient(id: number): boolean;
  config(): readonly ConfigParam[];
  /** CONFIG SET: applies every pair or none; throws QkvError with Redis's texts. */
  configSet(pairs: ReadonlyArray<readonly [string, string]>): void;
  /** ACL users; absent in command tests (a default-only set is then made from requirePass, acl-guard.ts). */
  readonly acl?: AclApi;
  /** The slow-command log (SLOWLOG); absent where no node is wired. */
  readonly slowlog?: SlowLogView;
  /** Keys a reading command looked up: found (hits) or not (misses), for INFO's keyspace_hits/misses. */
  countLookups?(hits: number, misses: number): void;
  /** CONFIG RESETSTAT: INFO's statistics count from now on. */
  resetStats?(): void;
  /** INFO sections, each a list of field/value pairs, in Redis's order. */
  info(): ReadonlyArray<readonly [section: string, fields: ReadonlyArray<readonly [string, string | number]>]>;
  /** The cluster's members and ring; absent where no node is wired (command tests). */
  readonly cluster?: ClusterView;
  /** Lua scripting (EVAL, SCRIPT): the node's Lua state and script gate; command tests go without. */
  readonly scripts?: Scripting;
  /** Where a cluster runs scripts: at the node that coordinates their keys; absent on a single node. */
  readonly scriptRouter?: ScriptRouter;
  /** Fault injection for tests (QKV.DEBUG); present only on a node started with --debug. */
  readonly debug?: DebugApi;
}

/** A script as it travels to the node that runs it. */
export interface RoutedScript {
  readonly body: Buffer;
  readonly keys: readonly Buffer[];
  readonly argv: readonly Buffer[];
  readonly readOnly: boolean;
  /** The calling client's protocol: the reply comes back encoded for it. */
  readonly protocol: 2 | 3;
  /** The calling client's ACL user (absent: default): the script's commands are checked against it where it runs. */
  readonly user?: string;
}

export interface ScriptRouter {
  /**
   * Runs the script at the first reachable replica of its keys and answers
   * its reply; undefined when that replica is this node (run it here).
   */
  runAtHome(script: RoutedScript): Promise<Reply | undefined>;
}

/** The node's ACL users, log and file (ACL, AUTH, the permission check). */
export interface AclApi {
  readonly store: AclStore;
  readonly log: AclLog;
  /** --aclfile, or null without one (ACL SAVE and LOAD then refuse). */
  readonly file: string | null;
  /** Writes the users to the file (ACL SAVE); throws Error with the reply text. */
  save(): Promise<void>;
  /** Replaces the users with the file's (ACL LOAD); throws Error with the reply text, changing nothing. */
  load(): Promise<void>;
}

/** One SLOWLOG entry, as Redis keeps it (arguments already shortened). */
export interface SlowLogEntry {
  readonly id: number;
  /** Unix time in seconds when the command finished. */
  readonly time: number;
  readonly usec: number;
  readonly args: readonly Buffer[];
  readonly addr: string;
  readonly clientName: string;
}

export interface SlowLogView {
  /** The newest `count` entries, newest first (all of them for count < 0). */
  entries(count: number): readonly SlowLogEntry[];
  readonly length: number;
  reset(): void;
}

/** What QKV.DEBUG drives: dropped peer traffic, a shifted wall clock and a failing disk on this node. */
export interface DebugApi {
  /** Drops traffic with these peers (node ids or peer host:port): both ways, or only what this node sends. */
  partition(peers: readonly string[], oneWay: boolean): void;
  /** Ends the drops for these peers, or for every peer when none are named. */
  heal(peers?: readonly string[]): void;
  /** Delays what this node sends to a peer by ms, plus up to jitterMs, each way of a request (0: no delay). */
  setDelay(peer: string, ms: number, jitterMs: number): void;
  /** Shifts this node's wall clock by ms (replacing any earlier shift); monotonic time is unaffected. */
  setClockOffset(ms: number): void;
  /** Makes this node's disk fail every write ('on'), hang them ('stall'), or work again ('off'). */
  setDiskFault(mode: 'off' | 'on' | 'stall'): void;
  /** What is in effect, as a JSON-able document. */
  status(): object;
}

export interface CommandContext {
  readonly kv: KvApi;
  readonly session: Session;
  readonly server: ServerApi;
  readonly clock: Clock;
  readonly rng: Rng;
  /** The command table, for COMMAND. */
  readonly table: CommandTable;
  /** Size limits from --max-key-bytes and --max-value-bytes (read at call time: CONFIG SET may change them). */
  readonly limits: { readonly maxKeyBytes: number; readonly maxValueBytes: number; readonly maxCollectionMembers: number };
  /** This node's Pub/Sub; absent where none is wired (then the Pub/Sub commands refuse). */
  readonly pubsub?: PubSubHub;
  /** Keyspace notifications (notify-keyspace-events); absent where none is wired. Called only after a write succeeded. */
  readonly keyspace?: KeyspaceNotifier;
}

export type Handler = (ctx: CommandContext, args: readonly Buffer[]) => Reply | Promise<Reply>;

/** One entry of the declarative table; arity and key positions as Redis reports them in COMMAND INFO. */
export interface CommandSpec {
  /** Lower-case name; for subcommands, the subcommand name (e.g. 'setname'). */
  readonly name: string;
  /** Positive: exact argument count including the name; negative: at least -arity. */
  readonly arity: number;
  /** Redis command flags: write, readonly, denyoom, admin, noscript, fast, loading, stale, noauth, ... */
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** ACL categories without the '@', e.g. ['string', 'fast']. */
  readonly categories: readonly string[];
  /** One-line summary for COMMAND DOCS. */
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly handler: Handler;
  readonly subcommands?: readonly CommandSpec[];
}

export interface CommandTable {
  lookup(name: string): CommandSpec | undefined;
  all(): readonly CommandSpec[];
}
