import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freeTcpUdpPort } from './free-port.js';
import { cliEntry, childNodeEnv } from './node-entry.js';

/**
 * Real server processes for black-box tests and benchmarks: a QuorumKV node
 * (src/server/main.ts through tsx, or the built bin/quorumkv.js) or a real
 * redis-server, each on free loopback ports with its own temp directory.
 * Only processes started here are ever signalled, by their own pid.
 */

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** Anything with tap's `t.teardown`; kept structural so benchmarks can use this file without tap. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly password: string | undefined;
  readonly dataDir: string;
  /** Removed once the process is stopped for good (false when the caller owns it). */
  readonly ownsDataDir: boolean;
  readonly label: string;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

const LOG_LINES_KEPT = 400;
const live = new Set<ChildProcess>();
let exitHooksInstalled = false;

/** Kills what this process started if it exits or is signalled before the tests stop them. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      // Keep the default behaviour (die by the signal) unless someone else handles it.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/** A started server process: ready check, stop, crash, restart, captured output. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private exitPromise: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private lastExit: Exit | null = null;
  private readonly lines: string[] = [];
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private disposed = false;

  constructor(private readonly spec: ProcessSpec) {}

  get port(): number {
    return this.spec.port;
  }
  get dataDir(): string {
    return this.spec.dataDir;
  }
  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.spec.label}: not running`);
    return pid;
  }
  get running(): boolean {
    return this.child !== null;
  }
  /** How the last run ended, null while it runs or before the first exit. */
  get exit(): Exit | null {
    return this.lastExit;
  }

  /** The last lines the process printed (stdout and stderr interleaved), for failure messages. */
  logs(): string {
    const tail = [this.partial.stdout, this.partial.stderr].filter((s) => s.length > 0);
    return [...this.lines, ...tail].join('\n');
  }

  /** The command line, for failure messages and reports. */
  commandLine(): string {
    return [this.spec.command, ...this.spec.args].join(' ');
  }

  spawn(): void {
    if (this.disposed) throw new Error(`${this.spec.label}: already disposed`);
    if (this.child !== null) throw new Error(`${this.spec.label}: already running (pid ${this.child.pid})`);
    installExitHooks();
    const child = spawn(this.spec.command, [...this.spec.args], {
      cwd: REPO_ROOT,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.lastExit = null;
    live.add(child);
    child.stdout?.setEncoding('utf8').on('data', (s: string) => this.capture('stdout', s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => this.capture('stderr', s));
    this.exitPromise = new Promise<Exit>((resolveExit) => {
      const done = (exit: Exit): void => {
        live.delete(child);
        if (this.child === child) this.child = null;
        this.lastExit = exit;
        resolveExit(exit);
      };
      child.once('error', (err) => {
        this.capture('stderr', `spawn failed: ${err.message}\n`);
        done({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => done({ code, signal }));
    });
  }

  private capture(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(stream === 'stderr' ? `[stderr] ${line}` : line);
    }
    if (this.lines.length > LOG_LINES_KEPT) this.lines.splice(0, this.lines.length - LOG_LINES_KEPT);
  }

  /** Waits until a line matching `pattern` has been printed (already printed lines count). */
  async waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw this.failure(`no output line matched ${pattern} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Resolves once PING answers PONG (after AUTH when a password is set); rejects with the logs otherwise. */
  async ready(timeoutMs = this.spec.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (this.child === null) throw this.failure('exited before answering PING');
      try {
        const reply = await pingOnce(this.spec.port, this.spec.password, Math.max(200, deadline - Date.now()));
        if (reply === '+PONG') return;
        lastError = `PING answered ${JSON.stringify(reply)}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await sleep(50);
    }
    throw this.failure(`did not answer PING within ${timeoutMs} ms (last: ${lastError})`);
  }

  /** SIGTERM, wait for exit, SIGKILL after the deadline. Resolves with how it ended. */
  async stop(timeoutMs = this.spec.stopTimeoutMs): Promise<Exit> {
    const child = this.child;
    if (child === null) return this.lastExit ?? { code: null, signal: null };
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise, timedOut]);
    clearTimeout(timer);
    if (result !== null) return result;
    this.capture('stderr', `(did not exit within ${timeoutMs} ms of SIGTERM; sending SIGKILL)\n`);
    child.kill('SIGKILL');
    return this.exitPromise;
  }

  /** A crash: SIGKILL and wait for the exit. */
  async kill9(): Promise<Exit> {
    const child = this.child;
    if (child === null) return this.lastExit ?? { code: null, signal: null };
    child.kill('SIGKILL');
    return this.exitPromise;
  }

  /** Stops the process if it runs, then starts it again with the same ports and data dir, and waits for PING. */
  async restart(): Promise<void> {
    await this.stop();
    this.spawn();
    await this.ready();
  }

  /** Stops for good and removes the temp data dir this helper made. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.stop();
    this.disposed = true;
    if (this.spec.ownsDataDir && process.env.QKV_KEEP_DATA === undefined) {
      await rm(this.spec.dataDir, { recursive: true, force: true });
    }
  }

  private failure(what: string): Error {
    const exit = this.lastExit === null ? '' : ` (exit code ${this.lastExit.code}, signal ${this.lastExit.signal})`;
    return new Error(`${this.spec.label} on port ${this.spec.port}: ${what}${exit}\ncommand: ${this.commandLine()}\n--- last output ---\n${this.logs()}`);
  }
}

/** One RESP round trip on a fresh connection; resolves with the PING reply's first line. */
function pingOnce(port: number, password: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolveReply, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    const expectLines = password === undefined ? 1 : 2;
    let buf = '';
    const timer = setTimeout(() => finish(new Error('PING timed out')), timeoutMs);
    const finish = (err: Error | null, line?: string): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err !== null) reject(err);
      else resolveReply(line ?? '');
    };
    sock.setEncoding('utf8');
    sock.on('error', (err) => finish(err));
    sock.on('connect', () => {
      const auth = password === undefined ? '' : resp(['AUTH', password]);
      sock.write(auth + resp(['PING']));
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\r\n');
      if (lines.length > expectLines) finish(null, lines[expectLines - 1]);
    });
    sock.on('close', () => finish(new Error('connection closed before a reply')));
  });
}

function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function makeDataDir(given: string | undefined, prefix: string): Promise<{ dir: string; owned: boolean }> {
  if (given !== undefined) return { dir: given, owned: false };
  return { dir: await mkdtemp(join(tmpdir(), prefix)), owned: true };
}

async function launch(spec: ProcessSpec, t: Teardown | undefined, wait: boolean): Promise<ServerProcess> {
  const proc = new ServerProcess(spec);
  t?.teardown(() => proc.dispose());
  proc.spawn();
  if (wait) await proc.ready();
  return proc;
}

export interface NodeOptions {
  /** Stops and cleans up the node when this test ends. */
  readonly t?: Teardown;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly requirepass?: string;
  /** true: pick a free port; a number: that port. */
  readonly metricsPort?: boolean | number;
  /** fsync the WAL before acknowledging. */
  readonly sync?: boolean;
  readonly port?: number;
  readonly peerPort?: number;
  /** Kept after the node stops; by default a fresh temp dir, removed at the end. */
  readonly dataDir?: string;
  /** More server options, e.g. ['--seeds', '127.0.0.1:7101', '--rack', 'r2']. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /**
   * 'tsx' runs src/server/main.ts; 'built' runs bin/quorumkv.js (needs `npm run build`). By default the
   * built CLI when dist/ is newer than every source, else tsx (node-entry.ts).
   */
  readonly entry?: 'tsx' | 'built';
  /** Options for node itself, before the entry (e.g. ['--cpu-prof', '--cpu-prof-dir', dir]). */
  readonly nodeArgs?: readonly string[];
  /** TLS files and what to use them for (the plain port stays on, for the ready check). */
  readonly tls?: NodeTls;
  /** Wait for PING before resolving (default true). */
  readonly wait?: boolean;
  readonly readyTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
}

export interface NodeProcess extends ServerProcess {
  readonly peerPort: number;
  readonly metricsPort: number | undefined;
  /** The client TLS port, when NodeOptions.tls asked for one. */
  readonly tlsPort: number | undefined;
}

export interface NodeTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** A client TLS port: true picks a free one. */
  readonly port?: boolean | number;
  readonly authClients?: 'yes' | 'no' | 'optional';
  /** Peer TCP over mutual TLS. */
  readonly cluster?: boolean;
}

/** The server options for opts, with the TLS port it picked. */
async function tlsArgs(tls: NodeTls | undefined): Promise<{ args: string[]; port: number | undefined }> {
  if (tls === undefined) return { args: [], port: undefined };
  const port = typeof tls.port === 'number' ? tls.port : tls.port === true ? await freePort() : undefined;
  const args = ['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile];
  if (port !== undefined) args.push('--tls-port', String(port), '--tls-auth-clients', tls.authClients ?? 'yes');
  if (tls.cluster === true) args.push('--tls-cluster', 'yes');
  return { args, port };
}

/** True once the built CLI exists (dist/ from `npm run build`). */
export function builtEntryExists(): boolean {
  return existsSync(join(REPO_ROOT, 'dist', 'src', 'server', 'cli.js'));
}

/** Starts one QuorumKV node on free loopback ports (a cluster of one unless n/r/w and seeds say otherwise). */
export async function startNode(opts: NodeOptions = {}): Promise<NodeProcess> {
  const port = opts.port ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freeTcpUdpPort());
  const metricsPort = typeof opts.metricsPort === 'number' ? opts.metricsPort : opts.metricsPort === true ? await freePort() : undefined;
  const { dir, owned } = await makeDataDir(opts.dataDir, 'qkv-node-');
  const serverArgs = [
    'server',
    '--port', String(port),
    '--peer-port', String(peerPort),
    '--data-dir', dir,
    '--n', String(opts.n ?? 1),
    '--r', String(opts.r ?? 1),
    '--w', String(opts.w ?? 1),
  ];
  if (opts.requirepass !== undefined) serverArgs.push('--requirepass', opts.requirepass);
  if (metricsPort !== undefined) serverArgs.push('--metrics-port', String(metricsPort));
  if (opts.sync !== undefined) serverArgs.push('--sync', String(opts.sync));
  const tls = await tlsArgs(opts.tls);
  serverArgs.push(...tls.args, ...(opts.args ?? []));
  const entry =
    opts.entry === 'built' ? [join(REPO_ROOT, 'bin', 'quorumkv.js')] : opts.entry === 'tsx' ? ['--import', 'tsx', join(REPO_ROOT, 'src', 'server', 'main.ts')] : cliEntry(REPO_ROOT);
  const spec: ProcessSpec = {
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), ...entry, ...serverArgs],
    env: childNodeEnv(opts.env),
    port,
    password: opts.requirepass,
    dataDir: dir,
    ownsDataDir: owned,
    label: 'quorumkv node',
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
  };
  const proc = await launch(spec, opts.t, opts.wait ?? true);
  return Object.assign(proc, { peerPort, metricsPort, tlsPort: tls.port }) as NodeProcess;
}

export interface RedisServerOptions {
  readonly t?: Teardown;
  readonly port?: number;
  readonly requirepass?: string;
  /** Extra redis-server options, e.g. ['--appendonly', 'yes']; the defaults turn persistence off. */
  readonly args?: readonly string[];
  readonly binary?: string;
  readonly wait?: boolean;
  readonly readyTimeoutMs?: number;
}

/** Starts a real redis-server on a free loopback port in a temp dir (no RDB, no AOF unless args say so). */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const { dir } = await makeDataDir(undefined, 'qkv-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (opts.requirepass !== undefined) args.push('--requirepass', opts.requirepass);
  args.push(...(opts.args ?? []));
  const spec: ProcessSpec = {
    command: opts.binary ?? 'redis-server',
    args,
    env: process.env,
    port,
    password: opts.requirepass,
    dataDir: dir,
    ownsDataDir: true,
    label: 'redis-server',
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
    stopTimeoutMs: 10_000,
  };
  return launch(spec, opts.t, opts.wait ?? true);
}

export interface ClusterOptions extends Omit<NodeOptions, 'port' | 'peerPort' | 'dataDir'> {
  /** Nodes to start (default 3). */
  readonly nodes?: number;
}

/**
 * Starts `nodes` QuorumKV nodes (ids node1..nodeK) on free loopback ports,
 * each seeded with every other's peer address; n/r/w default to 3/2/2.
 * Resolves once every node answers PING (membership may still be forming).
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<NodeProcess[]> {
  const count = opts.nodes ?? 3;
  const peers: number[] = [];
  for (let i = 0; i < count; i++) peers.push(await freeTcpUdpPort());
  const started = await Promise.all(
    peers.map((peerPort, i) => {
      // Every node is a seed (its own address included), so a fresh cluster forms without streaming.
      const seeds = peers.map((p) => `127.0.0.1:${p}`);
      const args = ['--node-id', `node${i + 1}`, ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : []), ...(opts.args ?? [])];
      return startNode({ ...opts, n: opts.n ?? 3, r: opts.r ?? 2, w: opts.w ?? 2, peerPort, args });
    }),
  );
  return started;
}
