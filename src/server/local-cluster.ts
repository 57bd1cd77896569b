import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Server processes of a local cluster, children of this one: started with
 * their logs forwarded line by line under the node's name, watched for their
 * 'ready' log line, and stopped with SIGTERM (SIGKILL after a deadline).
 * Children get their own process group, so a Ctrl-C in the terminal reaches
 * only this process, which then stops each node exactly once.
 */
export interface NodeLaunch {
  /** node1, node2, ... */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly peerPort: number;
  readonly metricsPort: number | null;
  readonly dataDir: string;
  /** Arguments after `server`. */
  readonly args: readonly string[];
}

export interface LocalClusterOptions {
  /** Node options and the script: the process runs `execPath ...entry server ...args`. */
  readonly entry: readonly string[];
  readonly out: (text: string) => void;
  readonly execPath?: string;
  readonly env?: NodeJS.ProcessEnv;
}

interface Child {
  readonly launch: NodeLaunch;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running: boolean;
  ready: boolean;
}

export class LocalCluster {
  private readonly children: Child[] = [];
  private stopping = false;
  private onReady: () => void = () => undefined;
  private onEarlyExit: (why: string) => void = () => undefined;
  private onUnexpected: (why: string) => void = () => undefined;
  private readonly unexpected: Promise<string>;
  private failure: string | null = null;

  private constructor(private readonly opts: LocalClusterOptions) {
    this.unexpected = new Promise((r) => (this.onUnexpected = r));
  }

  static start(plan: readonly NodeLaunch[], opts: LocalClusterOptions): LocalCluster {
    const cluster = new LocalCluster(opts);
    for (const launch of plan) cluster.spawn(launch);
    return cluster;
  }

  /** Process ids of the nodes still running, by name. */
  pids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.children) if (c.running && c.proc.pid !== undefined) out.set(c.launch.name, c.proc.pid);
    return out;
  }

  /** Resolves once every node logged 'ready'; rejects if one exits first or the time runs out. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not every node was ready within ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (this.children.every((c) => c.ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.onReady = check;
      this.onEarlyExit = (why) => {
        clearTimeout(timer);
        reject(new Error(why));
      };
      if (this.failure !== null) this.onEarlyExit(this.failure);
      else check();
    });
  }

  /** Resolves with a description when a node exits without being asked to. */
  unexpectedExit(): Promise<string> {
    return this.unexpected;
  }

  /** SIGTERM to every node, SIGKILL to those still running after timeoutMs; true if every node exited cleanly. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const running = this.children.filter((c) => c.running);
    for (const c of running) signal(c.proc, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
    const all = Promise.all(running.map((c) => c.exited));
    const first = await Promise.race([all, deadline]);
    clearTimeout(timer);
    let clean = this.failure === null;
    if (first === 'late') {
      for (const c of running.filter((x) => x.running)) {
        this.opts.out(`${c.launch.name} did not stop within ${timeoutMs} ms: SIGKILL\n`);
        signal(c.proc, 'SIGKILL');
      }
      clean = false;
    }
    const exits = await all;
    return clean && exits.every((e) => e.code === 0);
  }

  private spawn(launch: NodeLaunch): void {
    const proc = spawn(this.opts.execPath ?? process.execPath, [...this.opts.entry, 'server', ...launch.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.opts.env ?? process.env,
      detached: true,
    });
    let resolveExit: (e: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExit = r));
    const child: Child = { launch, proc, exited, running: true, ready: false };
    this.children.push(child);
    const prefix = `${launch.name} | `;
    const forward = (line: string): void => {
      this.opts.out(prefix + line + '\n');
      if (!child.ready && isReadyLine(line)) {
        child.ready = true;
        this.onReady();
      }
    };
    createInterface({ input: proc.stdout! }).on('line', forward);
    createInterface({ input: proc.stderr! }).on('line', forward);
    proc.once('error', (err) => {
      child.running = false;
      this.opts.out(`${launch.name} could not start: ${err.message}\n`);
      this.exited(child, `${launch.name} could not start: ${err.message}`);
      resolveExit({ code: null, signal: null });
    });
    proc.once('exit', (code, sig) => {
      child.running = false;
      const how = sig ? `signal ${sig}` : `code ${code}`;
      this.opts.out(`${launch.name} exited (${how})\n`);
      if (!this.stopping) this.exited(child, `${launch.name} exited (${how})`);
      resolveExit({ code, signal: sig });
    });
  }

  private exited(child: Child, why: string): void {
    if (this.stopping) return;
    this.failure ??= why;
    if (!child.ready) this.onEarlyExit(why);
    this.onUnexpected(why);
  }
}

function isReadyLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'ready';
  } catch {
    return false;
  }
}

function signal(proc: ChildProcess, sig: NodeJS.Signals): void {
  try {
    proc.kill(sig);
  } catch {
    // Already gone.
  }
}
