import { ClientMemory } from './client-memory.js';
import { FIXED_OVERHEAD, memoryPlan } from '../config/memory-budget.js';
import { MemoryGovernor, fullCollection } from './memory-governor.js';
import { OpsRate, SAMPLE_MS } from './ops-rate.js';
import { memoryInfo, memoryReport, type MemorySources } from './memory-report.js';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RealClock } from '../core/clock.js';
import { SeededRng } from '../core/rng.js';
import { REQUEST_FRAMING_BYTES } from '../config/node-config.js';
import type { NodeConfig } from '../config/node-config.js';
import { resolveConsistency } from '../config/dc-replicas-option.js';
import { RuntimeConfig } from '../config/runtime.js';
import { NodeMetrics } from '../metrics/registry.js';
import { metricsHandler } from '../metrics/http.js';
import { RocksDbEngine } from '../storage/rocksdb-engine.js';
import { openRecordStore } from '../storage/record-store.js';
import { LocalCoordinator } from '../coordinator/local-coordinator.js';
import { startActor } from '../coordinator/start-actor.js';
import type { KvApi } from '../coordinator/api.js';
import { allCommands } from '../commands/index.js';
import { buildTable } from '../commands/table.js';
import { runRoutedScript } from '../commands/scripting.js';
import { withNewKeyEvents } from '../commands/new-key-events.js';
import { routedSession } from './script-routing.js';
import type { CommandContext, ServerApi, Session } from '../commands/types.js';
import { RespServer, listenOn } from './resp-server.js';
import { TLS_MATERIAL_OPTIONS, TlsMaterialError, loadTlsMaterial, usesTls } from './tls-context.js';
import type { SecureContextOptions } from 'node:tls';
import { createLogger } from './logger.js';
import { createAcl } from './acl-wiring.js';
import type { Logger } from './logger.js';
import { resolveNodeId } from './node-identity.js';
import { ServerCounters, infoSections } from './server-info.js';
import { commandStatLines } from '../metrics/command-stats.js';
import { SlowLog } from './slowlog.js';
import { Scripting } from '../scripting/index.js';
import { REDIS_COMPAT_VERSION } from './version.js';
import { connectionObserver } from './observe.js';
import { FaultInjector } from './fault-injection.js';
import { createClusterNode, soloClusterView, wantsCluster, type ClusterNode } from './cluster-node.js';
import { AntiEntropyWiring, settingsFromConfig } from './antientropy-wiring.js';
import { initialRingState, isOwnSeed } from './seed-role.js';
import { Readiness } from './readiness.js';
import { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { antiEntropyObserver } from './cluster-observers.js';
import { FaultyEngine } from './disk-faults.js';
import { StorageHealthMonitor } from '../storage/storage-health.js';
import { PubSubHub } from '../pubsub/hub.js';
import { KeyspaceNotifier } from '../pubsub/keyspace-notifier.js';

export interface RunningNode {
  readonly nodeId: string;
  /** The plain RESP port, or the TLS one when the plain port is off. */
  readonly port: number;
  /** The TLS port (--tls-port), or null without one. */
  readonly tlsPort: number | null;
  readonly metricsPort: number | null;
  readonly log: Logger;
  /** Stops serving, flushes pending writes, closes RocksDB. Safe to call twice. */
  close(): Promise<void>;
  /** Resolves once the node has stopped, by close() or by itself (after leaving the cluster). */
  readonly closed: Promise<void>;
}

/** Builds and starts one node: the only place that creates real sockets, disks and clocks. */
export async function startNode(config: NodeConfig, log?: Logger): Promise<RunningNode> {
  const realClock = new RealClock();
  const rng = new SeededRng(randomBytes(8).readBigUInt64BE(0));
  const dataDir = resolve(config.dataDir);
  const nodeId = resolveNodeId(dataDir, config.nodeId ?? undefined);
  const logger = log ?? createLogger({ level: config.logLevel, node: nodeId });
  const runtime = new RuntimeConfig({ ...config, nodeId });
  // Read before anything starts: a node with TLS options whose files do not load does not start.
  let tlsMaterial: SecureContextOptions | null = usesTls(config) ? loadTlsMaterial(config) : null;
  const currentTls = (): SecureContextOptions => tlsMaterial!;
  // --debug: QKV.DEBUG may drop peer traffic and shift the wall clock, so the clock and transports are wrapped.
  const faults = config.debug
    ? new FaultInjector({ clock: realClock, requestTimeoutMs: () => runtime.current().requestTimeoutMs, onChange: (s) => logger.warn('fault injection changed', { ...s }) })
    : null;
  const clock = faults?.clock ?? realClock;
  const metrics = new NodeMetrics({ nodeId });
  const counters = new ServerCounters();
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  // One budget (--maxmemory) sizes the caches, memtables and client buffers (config/memory-budget.ts).
  const plan = memoryPlan(config);
  const rocksdb = new RocksDbEngine({ location: join(dataDir, 'db'), cacheSize: plan.blockCache, writeBufferSize: plan.writeBuffer });
  // --debug: QKV.DEBUG DISK-FAIL may fail or stall this node's writes.
  const faultyDisk = faults ? new FaultyEngine(rocksdb) : null;
  if (faultyDisk) faults?.attachDisk(faultyDisk);
  const engine = faultyDisk ?? rocksdb;
  await engine.open();
  const clusterMetrics = wantsCluster(config) ? new ClusterMetrics(metrics.registry) : null;
  const antiEntropy = clusterMetrics
    ? new AntiEntropyWiring(clock, nodeId, config.n, settingsFromConfig(config), antiEntropyObserver(clusterMetrics))
    : null;
  // Set once keyspace notifications are wired (below); the sweep runs only after that.
  let announceExpired = (_key: Buffer): void => undefined;
  const store = await openRecordStore(engine, {
    onExpired: (key) => announceExpired(key),
    sync: config.sync,
    cacheBytes: plan.recordCache,
    clock,
    stallMs: config.storageStallMs,
    ...(antiEntropy ? { canPurge: antiEntropy.canPurge } : {}),
  });
  // A new actor for every start, stored before any write is served: dots never repeat (versioning/actor.ts).
  const actor = await startActor(store, nodeId, clock.now());
  logger.info('dots are issued under a new actor', { actor: actor.actor });
  // Bytes on disk, refreshed in the background (the engine answers asynchronously).
  let diskBytes = 0;
  const refreshDiskBytes = (): void => {
    engine.stats().then(
      (st) => (diskBytes = st.approximateBytes),
      () => undefined,
    );
  };
  refreshDiskBytes();
  const diskTimer = clock.setInterval(refreshDiskBytes, 5_000);
  // Seeds or N > 1: peer RPC, membership and the ring coordinator; otherwise a cluster of one.
  let cluster: ClusterNode | null = null;
  if (wantsCluster(config)) {
    try {
      cluster = await createClusterNode({
        config,
        nodeId,
        actor,
        store: antiEntropy ? antiEntropy.wrap(store) : store,
        antiEntropy,
        clusterMetrics,
        clock,
        rng,
        metrics,
        log: logger,
        r: () => runtime.current().r,
        w: () => runtime.current().w,
        readConsistency: () => resolveConsistency(runtime.current().readConsistency, config.replicasPerDc),
        writeConsistency: () => resolveConsistency(runtime.current().writeConsistency, config.replicasPerDc),
        sloppyQuorum: () => runtime.current().sloppyQuorum,
        onLeft: () => void close(),
        selfLoad: () => ({ keys: store.stats().liveKeys, bytes: diskBytes }),
        requestTimeoutMs: () => runtime.current().requestTimeoutMs,
        // A script may run up to busy-reply-threshold before anyone is told BUSY, then write for a while.
        scriptTimeoutMs: () => 3 * runtime.current().requestTimeoutMs + runtime.current().busyReplyThreshold,
        readSpeculativeMs: () => runtime.current().readSpeculativeMs,
        faults,
        engine,
        storageHealth: store.health,
        readiness: new Readiness(config, isOwnSeed(config)),
        peerTls: config.tlsCluster ? { options: currentTls } : null,
      });
    } catch (e) {
      diskTimer.cancel();
      await store.close();
      throw e;
    }
  }
  const kv: KvApi =
    cluster?.kv ?? new LocalCoordinator(store, actor, clock, { requestTimeoutMs: () => runtime.current().requestTimeoutMs, health: store.health });
  // A failing or stalled disk makes the node step aside: logged, gossiped in its record, and on /health.
  const diskWatch = new StorageHealthMonitor(store.health, () => store.probe(), clock, (problem) => {
    if (problem) logger.error('storage unhealthy: this node steps aside until writes land again', { problem });
    else logger.info('storage healthy again');
    cluster?.setHealth(problem);
  });
  diskWatch.start();
  const notServing = (): string[] => cluster?.notServing() ?? [store.health.problem()].filter((p): p is string => p !== null);
  const pubsub = cluster?.pubsub ?? new PubSubHub();
  // Keyspace notifications go out through Pub/Sub, so they reach subscribers on every node.
  const keyspace = new KeyspaceNotifier(pubsub);
  keyspace.flags = config.notifyKeyspaceEvents;
  runtime.onChange('notify-keyspace-events', (c) => (keyspace.flags = c.notifyKeyspaceEvents));
  announceExpired = (key) => {
    // Every replica sweeps its own copy: only the key's first replica announces, so the event goes out once.
    if (!keyspace.wants('expired') || (cluster && cluster.view.replicasOf(key)[0] !== nodeId)) return;
    keyspace.notify('expired', 'expired', key);
  };
  const table = buildTable(allCommands);
  // ACL users: requirepass is the default user's password; --aclfile replaces them (acl-wiring.ts).
  const acl = await createAcl({ table, nodeId, now: () => clock.now(), requirepass: config.requirepass, aclfile: config.aclfile, log: logger }).catch(async (e: unknown) => {
    diskTimer.cancel();
    diskWatch.stop();
    await cluster?.close().catch(() => undefined);
    await store.close();
    throw e;
  });
  runtime.onChange('requirepass', (c) => acl.store.setRequirePass(c.requirepass));
  cluster?.acl.attach(acl.store);
  const startedAt = clock.now();
  metrics.setKeysSource(() => store.stats().keys);
  const scripts = new Scripting(
    () => runtime.current().busyReplyThreshold,
    () => clock.monotonic(),
    // redis.log: LOG_DEBUG and LOG_VERBOSE at debug, LOG_NOTICE at info, LOG_WARNING at warn.
    (level, message) => (level >= 3 ? logger.warn : level === 2 ? logger.info : logger.debug).call(logger, 'script log', { message }),
  );
  const memory: MemorySources = {
    scripts: () => scripts.memory(),
    plan: () => memoryPlan(runtime.current()),
    opened: plan,
    recordCache: () => ({ bytes: store.stats().cacheBytes, limit: store.cacheMaxBytes, entries: store.stats().cacheEntries }),
    rocks: () => rocksdb.memoryUsage(),
    clients: () => clientMemory.totalBytes,
    forcedCollections: () => governor.forced,
  };
  // Garbage V8 has not collected yet counts in RSS: past the budget, collect it (memory-governor.ts).
  const governor = new MemoryGovernor({
    rss: () => process.memoryUsage.rss(),
    limit: () => runtime.current().maxmemory + FIXED_OVERHEAD / 2,
    collect: fullCollection(),
    now: () => clock.monotonic(),
  });
  const governorTimer = clock.setInterval(() => governor.check(), 1_000);
  const opsRate = new OpsRate();
  const opsTimer = clock.setInterval(() => opsRate.sample(clock.monotonic(), counters.commandsProcessed), SAMPLE_MS);
  runtime.onChange('maxmemory', (c) => {
    const next = memoryPlan(c);
    store.resizeCache(next.recordCache);
    logger.info('maxmemory changed: record cache and client bound resized; RocksDB block cache and memtables keep their sizes until a restart', {
      maxmemory: next.maxmemory,
      recordCache: next.recordCache,
      clients: next.clients,
    });
  });

  let resp!: RespServer;
  let port = config.port;
  let tlsPort: number | null = null;
  const slowlog = new SlowLog({ slowerThan: () => runtime.current().slowlogLogSlowerThan, maxLen: () => runtime.current().slowlogMaxLen });
  const server: ServerApi = {
    nodeId,
    version: REDIS_COMPAT_VERSION,
    startedAt,
    get tcpPort() {
      return port;
    },
    requirePass: () => runtime.current().requirepass,
    clients: () => resp.views(),
    killClient: (id) => resp.kill(id),
    config: () => runtime.params(),
    configSet: (pairs) => runtime.setMany(pairs),
    info: () =>
      infoSections({
        nodeId,
        tcpPort: port,
        peerPort: config.peerPort,
        configFile: config.config,
        startedAt,
        now: () => clock.now(),
        connectedClients: () => resp.clientCount,
        maxClients: () => runtime.current().maxclients,
        counters,
        store: () => store.stats(),
        replication: () => ({ n: kv.n, r: kv.r, w: kv.w, members: cluster?.memberCount() ?? 1 }),
        memberLines: () => cluster?.memberLines() ?? [],
        sync: () => config.sync,
        commandStats: () => commandStatLines(metrics.commandStats),
        memory: () => memoryInfo(memoryReport(memory)),
        opsPerSec: () => opsRate.perSecond(),
        pubsub: () => ({ channels: pubsub.registry.channelCount, patterns: pubsub.registry.patternCount, shardChannels: pubsub.registry.shardChannelCount }),
      }),
    countLookups: (hits, misses) => {
      counters.keyspaceHits += hits;
      counters.keyspaceMisses += misses;
    },
    resetStats: () => {
      counters.reset();
      metrics.commandStats.resetInfo();
    },
    cluster: cluster?.view ?? soloClusterView(nodeId, config, () => port),
    slowlog,
    acl,
    ...(cluster ? { scriptRouter: cluster.scripts } : {}),
    scripts,
    ...(faults ? { debug: faults } : {}),
  };
  const limits = {
    get maxKeyBytes() {
      return runtime.current().maxKeyBytes;
    },
    get maxValueBytes() {
      return runtime.current().maxValueBytes;
    },
    get maxCollectionMembers() {
      return runtime.current().maxCollectionMembers;
    },
  };
  // Commands see the coordinator through the new-key announcer (notify-keyspace-events n).
  const commandKv = withNewKeyEvents(kv, keyspace);
  const context = (session: Session): CommandContext => ({ kv: commandKv, session, server, clock, rng, table, limits, pubsub, keyspace });
  // Scripts other nodes send here run as a client of this node would run them, under a session of their own.
  let routedSessions = 0;
  cluster?.scripts.attach((script) => runRoutedScript(context(routedSession(--routedSessions, script.protocol, clock.now(), script.user)), script));

  const clientMemory = new ClientMemory(
    () => memoryPlan(runtime.current()).clients,
    (bytes, total) => {
      counters.evictedClients++;
      metrics.clientsEvicted.inc();
      logger.warn('all clients together hold more than maxmemory-clients: closing the largest', { bytes, total });
    },
  );
  resp = new RespServer({
    host: config.bind,
    // --port 0 beside --tls-port turns the plain port off, as in Redis; alone it picks a free port.
    port: config.port === 0 && config.tlsPort !== 0 ? null : config.port,
    ...(config.tlsPort !== 0 ? { tls: { port: config.tlsPort, material: currentTls, authClients: () => runtime.current().tlsAuthClients } } : {}),
    maxClients: () => runtime.current().maxclients,
    openAccess: () => acl.store.defaultUser.enabled && acl.store.defaultUser.nopass,
    protectedMode: () => runtime.current().protectedMode,
    idleTimeoutSeconds: () => runtime.current().timeout,
    unauthTimeoutSeconds: () => runtime.current().unauthTimeout,
    now: () => clock.now(),
    log: logger,
    onReject: (reason) => {
      counters.rejectedConnections++;
      metrics.connectionRejected(reason);
    },
    onAccept: () => {
      counters.connectionsReceived++;
      metrics.connectionsAccepted.inc();
    },
    connectionDeps: {
      context,
      parserLimits: () => ({
        maxBulkLength: runtime.current().maxValueBytes + runtime.current().maxKeyBytes + REQUEST_FRAMING_BYTES,
        maxQueryBufferBytes: runtime.current().clientQueryBufferLimit,
      }),
      outputBufferLimit: () => runtime.current().clientOutputBufferLimit || Infinity,
      pubsubOutputLimit: () => runtime.current().clientOutputBufferLimitPubsub,
      log: logger,
      observe: connectionObserver(metrics, counters),
      now: () => clock.now(),
      monotonic: () => clock.monotonic(),
      memory: clientMemory,
      slowlog,
    },
  });
  metrics.setConnectedClientsSource(() => resp.clientCount);
  metrics.setMemorySource(() => memoryReport(memory));

  let httpServer: HttpServer | null = null;
  let metricsPort: number | null = null;
  try {
    const ports = await resp.listen();
    tlsPort = ports.tlsPort;
    // Peers and status tell clients the plain port, or the TLS one when there is no plain port.
    port = ports.port ?? ports.tlsPort ?? 0;
    await cluster?.join({ host: config.bind, port }, initialRingState(config));
    if (config.metricsPort !== null) {
      const handle = metricsHandler(metrics, notServing);
      httpServer = createHttpServer((req, res) => {
        void handle(req.url ?? '/').then((r) => {
          res.writeHead(r.status, { 'Content-Type': r.contentType });
          res.end(r.body);
        });
      });
      metricsPort = await listenOn(httpServer, config.metricsPort, config.bind);
    }
  } catch (e) {
    diskTimer.cancel();
    governorTimer.cancel();
    opsTimer.cancel();
    diskWatch.stop();
    await resp.close().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    await store.close();
    throw e;
  }

  const sweep = (): void => {
    store.sweepExpired(clock.now(), 1000).catch((e: unknown) => logger.warn('expiry sweep failed', { error: String(e) }));
  };
  let sweeper = clock.setInterval(sweep, config.expirySweepMs);
  runtime.onChange('expiry-sweep-ms', (c) => {
    sweeper.cancel();
    sweeper = clock.setInterval(sweep, c.expirySweepMs);
  });
  runtime.onChange('log-level', (c) => logger.setLevel(c.logLevel));
  // CONFIG SET of a TLS file re-reads the material; files that do not load leave the old context in place.
  for (const name of TLS_MATERIAL_OPTIONS) {
    runtime.onChange(name, (c) => {
      if (!usesTls(c)) return;
      try {
        tlsMaterial = loadTlsMaterial(c);
      } catch (e) {
        if (!(e instanceof TlsMaterialError)) throw e;
        logger.warn('TLS configuration not updated: the old certificates stay in force', { error: e.message });
        throw new Error('Unable to update TLS configuration. Check server logs.');
      }
      resp.refreshTls();
      cluster?.refreshTls();
      logger.info('TLS configuration reloaded', { option: name });
    });
  }

  logger.info('ready', { port, tlsPort, bind: config.bind, dataDir, metricsPort, peerPort: cluster?.peerAddress.port ?? null, n: kv.n, r: kv.r, w: kv.w, sync: config.sync });

  return {
    nodeId,
    port,
    tlsPort,
    metricsPort,
    log: logger,
    close,
    closed,
  };

  function close(): Promise<void> {
    return (closing ??= (async () => {
        logger.info('shutting down');
        sweeper.cancel();
        diskTimer.cancel();
        governorTimer.cancel();
        opsTimer.cancel();
        diskWatch.stop();
        await resp.close();
        await cluster?.close();
        if (httpServer) await new Promise<void>((r) => httpServer!.close(() => r()));
        await store.close();
        logger.info('stopped');
        resolveClosed();
      })());
  }
}
