import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespClient, RespReplyError } from '../../src/server/resp-client.js';
import { cliEntry, childNodeEnv } from '../support/node-entry.js';
import { REPO_ROOT } from '../support/node-process.js';

// A partition made by the kernel, not by the node: three nodes in their own
// network namespaces behind a bridge, split by blackhole routes. Needs root
// and `ip netns`; skipped otherwise.

const tag = `q${process.pid % 100000}`;
const subnet = `10.77.${process.pid % 250}`;
const ip = (i: number): string => `${subnet}.${i + 1}`;
const NODES = 3;

function sh(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function available(): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  try {
    sh('netns', 'add', `${tag}probe`);
    sh('netns', 'del', `${tag}probe`);
    return null;
  } catch (e) {
    return `ip netns does not work here: ${String(e).split('\n')[0]}`;
  }
}

const why = available();
if (why !== null) {
  t.test('partition by network namespaces and routes', { skip: why }, () => undefined);
} else {
  const procs: ChildProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'qkv-netns-'));
  const hub = `${tag}hub`;
  const ns = (i: number): string => `${tag}n${i}`;
  t.teardown(() => {
    for (const p of procs) p.kill('SIGKILL');
    for (let i = 0; i < NODES; i++) run(['netns', 'del', ns(i)]);
    run(['netns', 'del', hub]);
    run(['link', 'del', `${tag}h`]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const run = (args: string[]): void => {
    try {
      sh(...args);
    } catch {
      // cleanup of something that is already gone
    }
  };

  // The hub namespace holds the bridge; each node and this process get one veth into it.
  const build = (): void => {
    sh('netns', 'add', hub);
    sh('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    sh('-n', hub, 'link', 'set', 'br0', 'up');
    sh('link', 'add', `${tag}h`, 'type', 'veth', 'peer', 'name', 'hosthub', 'netns', hub);
    sh('addr', 'add', `${subnet}.100/24`, 'dev', `${tag}h`);
    sh('link', 'set', `${tag}h`, 'up');
    sh('-n', hub, 'link', 'set', 'hosthub', 'master', 'br0', 'up');
    for (let i = 0; i < NODES; i++) {
      sh('netns', 'add', ns(i));
      sh('-n', ns(i), 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', hub);
      sh('-n', ns(i), 'addr', 'add', `${ip(i)}/24`, 'dev', 'eth0');
      sh('-n', ns(i), 'link', 'set', 'eth0', 'up');
      sh('-n', ns(i), 'link', 'set', 'lo', 'up');
      sh('-n', hub, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
    }
  };
  let built: string | null = null;
  try {
    build();
  } catch (e) {
    built = `the namespaces could not be wired: ${String(e).split('\n')[0]}`;
  }
  // Each namespace has its own ports, so fixed numbers cannot collide.
  for (let i = 0; i < NODES && built === null; i++) {
    const seeds = [0, 1, 2].map((j) => `${ip(j)}:17000`).join(',');
    const child = spawn(
      'ip',
      ['netns', 'exec', ns(i), process.execPath, ...cliEntry(REPO_ROOT), 'server', '--bind', ip(i), '--port', '7000', '--peer-port', '17000'].concat(
        ['--node-id', `node${i + 1}`, '--seeds', seeds, '--cluster-secret', 'netns-test', '--protected-mode', 'no', '--data-dir', join(dataDir, `n${i}`), '--request-timeout-ms', '1000', '--log-level', 'warn'],
      ),
      { cwd: REPO_ROOT, stdio: 'ignore', env: childNodeEnv() },
    );
    procs.push(child);
  }

  const call = async (i: number, ...args: string[]): Promise<unknown> => {
    const c = await RespClient.connect({ host: ip(i), port: 7000, timeoutMs: 5000 });
    try {
      return await c.call(...args);
    } finally {
      c.close();
    }
  };
  const eventually = async (what: string, fn: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await fn().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const aliveSeenBy = async (i: number): Promise<string[]> => {
    const doc = JSON.parse(String(await call(i, 'QKV.STATUS'))) as { members: Array<{ id: string; status: string }> };
    return doc.members.filter((m) => m.status === 'alive').map((m) => m.id);
  };
  const blackhole = (action: 'add' | 'del'): void => {
    // node1 cannot reach node2 or node3, nor they node1; this process still reaches everyone.
    for (const j of [1, 2]) {
      sh('-n', ns(0), 'route', action, 'blackhole', `${ip(j)}/32`);
      sh('-n', ns(j), 'route', action, 'blackhole', `${ip(0)}/32`);
    }
  };

  t.test('a kernel-level partition isolates node1; the majority keeps writing; heal repairs', { skip: built ?? false }, async (t) => {
    for (let i = 0; i < NODES; i++) await eventually(`node${i + 1} sees all`, async () => (await aliveSeenBy(i)).length === 3);
    blackhole('add');
    await eventually('node1 sees itself alone', async () => JSON.stringify(await aliveSeenBy(0)) === '["node1"]');
    t.equal(await call(1, 'SET', 'netns:k', 'majority'), 'OK', 'W=2 through the majority');
    const minority = await call(0, 'SET', 'netns:k', 'minority').catch((e: unknown) => e);
    t.ok(minority instanceof RespReplyError && /^(UNAVAILABLE|TIMEOUT)/.test(minority.reply), `the minority cannot write at W=2 (${String(minority)})`);
    blackhole('del');
    await eventually('node1 sees all again', async () => (await aliveSeenBy(0)).length === 3);
    await eventually('node1 reads the majority write at R=3', async () => {
      const r = (await call(0, 'QGET', 'netns:k', 'R', '3')) as [string, string[]];
      return r[1].includes('majority');
    });
  });
}
