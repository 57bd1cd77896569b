import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCluster } from '../../src/server/cluster-cli.js';
import { freePortRange } from '../support/free-port.js';
import { cliEntry, childNodeEnv } from '../support/node-entry.js';
import { REPO_ROOT, type Teardown } from '../support/node-process.js';
import { sleep, waitForViews } from './helpers.js';

// `quorumkv cluster` starting real nodes: in this process (stopped through its
// stop hook) and as its own process (stopped by SIGTERM, as Ctrl-C would).

const ENTRY = cliEntry(REPO_ROOT);
const ENV = childNodeEnv();

async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-cluster-cmd-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function ports(count: number): Promise<{ base: number; peerBase: number }> {
  return { base: await freePortRange(count), peerBase: await freePortRange(count, true) };
}

t.test('in process: two nodes start, form a cluster, and stop cleanly when asked', async (t) => {
  const dir = await tempDir(t);
  const { base, peerBase } = await ports(2);
  let out = '';
  let stop: (why: string) => void = () => undefined;
  const argv = ['--nodes', '2', '--base-port', String(base), '--peer-base-port', String(peerBase), '--no-metrics', '--data-dir', dir, '--log-level', 'info'];
  const running = runCluster(argv, { out: (s) => (out += s), err: (s) => (out += s) }, {
    entry: ENTRY,
    env: ENV,
    stopOn: (fn) => {
      stop = fn;
      return () => undefined;
    },
  });
  await waitFor(() => out.includes('cluster ready'), 30_000, () => out);
  const views = await waitForViews([base, base + 1], ['node1', 'node2']);
  t.same(
    views.map((v) => v.members.map((m) => m.address)),
    [
      [`127.0.0.1:${base}`, `127.0.0.1:${base + 1}`],
      [`127.0.0.1:${base}`, `127.0.0.1:${base + 1}`],
    ],
  );
  said(t, out, `node1: RESP 127.0.0.1:${base}  peer 127.0.0.1:${peerBase}  data ${join(dir, 'node1')}`);
  said(t, out, 'N=2 R=2 W=2');
  t.ok(/node2 \| \{.*"msg":"member added"/.test(out), 'node logs are forwarded with the node name', { out });
  stop('test');
  stop('test again');
  t.equal(await running, 0);
  said(t, out, '(test again: already stopping)');
  said(t, out, 'stopping the cluster (test)');
  said(t, out, 'node1 exited (code 0)');
  said(t, out, 'all nodes stopped');
});

t.test('in process: a node that cannot start stops the whole cluster with exit code 1', async (t) => {
  const dir = await tempDir(t);
  const { base, peerBase } = await ports(2);
  // Something else holds node2's RESP port.
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(base + 1, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  let out = '';
  const code = await runCluster(
    ['--nodes', '2', '--base-port', String(base), '--peer-base-port', String(peerBase), '--no-metrics', '--data-dir', dir],
    { out: (s) => (out += s), err: (s) => (out += s) },
    { entry: ENTRY, env: ENV, stopOn: () => () => undefined },
  );
  t.equal(code, 1);
  said(t, out, 'quorumkv cluster: node2 exited (code 1)');
  said(t, out, 'stopping the cluster: a node stopped unexpectedly');
  said(t, out, 'the cluster stopped with errors');
});

t.test('usage errors and --help', async (t) => {
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  t.equal(await runCluster(['--nodes', '0'], io), 2);
  t.match(err, "--nodes expects an integer from 1 to 64, got '0'");
  t.equal(await runCluster(['--help'], io), 0);
  said(t, out, 'Usage: quorumkv cluster');
});

t.test('as its own process: SIGTERM stops every node and the command exits 0', async (t) => {
  const dir = await tempDir(t);
  const { base, peerBase } = await ports(2);
  const child = spawn(
    process.execPath,
    [...ENTRY, 'cluster', '--nodes', '2', '--base-port', String(base), '--peer-base-port', String(peerBase), '--no-metrics', '--data-dir', dir],
    { cwd: REPO_ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor(() => out.includes('cluster ready'), 30_000, () => out);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'the command exits 0', { out });
  said(t, out, 'stopping the cluster (SIGTERM)');
  said(t, out, 'node1 exited (code 0)');
  said(t, out, 'node2 exited (code 0)');
  // The nodes are gone: their ports are free again.
  const free = await new Promise<boolean>((r) => {
    const probe = createServer();
    probe.once('error', () => r(false));
    probe.listen(base, '127.0.0.1', () => probe.close(() => r(true)));
  });
  t.ok(free, "node1's port is free");
});

/** Asserts that the command printed `text`; the whole output shows only on failure. */
function said(t: { ok(cond: boolean, msg: string, extra: object): void }, out: string, text: string): void {
  t.ok(out.includes(text), `printed: ${text}`, { out });
}

async function waitFor(cond: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; output:\n${describe()}`);
    await sleep(50);
  }
}
