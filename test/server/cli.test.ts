import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/server/cli.js';
import { QUORUMKV_VERSION } from '../../src/server/version.js';
import { tempDir } from './node-harness.js';
import { RawClient } from './raw-client.js';
import { cliEntry, childNodeEnv } from '../support/node-entry.js';

// The command line: main() in-process for the quick paths, and one real
// process for a server's start, readiness line and clean stop on SIGTERM.

const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

interface Captured {
  out: string;
  err: string;
  exitCode: number | string | undefined;
}

/** Runs main(argv) with stdout and stderr captured and process.exitCode restored afterwards. */
async function run(argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  let exitCode: number | string | undefined;
  try {
    await main(argv);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    exitCode = process.exitCode ?? undefined;
    process.exitCode = savedExit;
  }
  return { out: out.join(''), err: err.join(''), exitCode };
}

t.test('version and help', async (t) => {
  for (const argv of [['version'], ['--version']]) {
    const r = await run(argv);
    t.equal(r.out, `quorumkv ${QUORUMKV_VERSION}\n`);
    t.equal(r.err, '');
    t.equal(r.exitCode, undefined, 'success');
  }
  t.match(QUORUMKV_VERSION, /^\d+\.\d+\.\d+/);
  for (const argv of [['help'], [], ['--help'], ['-h']]) {
    const r = await run(argv);
    t.match(r.out, /^Usage: quorumkv <command> \[options\]\n/, JSON.stringify(argv));
    t.match(r.out, /\n {2}server \[options\] /);
    t.equal(r.exitCode, undefined);
  }
});

t.test('server --help lists every option with its default and environment name', async (t) => {
  const r = await run(['server', '--help']);
  t.match(r.out, /^Usage: quorumkv server \[options\]\n\nOptions:\n/);
  t.match(r.out, /\n {2}--port {24} .*\(default: 6379; env QKV_PORT\)\n/);
  t.match(r.out, /--requirepass .*\(default: none; env QKV_REQUIREPASS\)/);
});

t.test('a bad option: the config error on stderr, exit status 2', async (t) => {
  const r = await run(['server', '--port', 'abc']);
  t.equal(r.exitCode, 2);
  t.match(r.err, /^quorumkv: --port: .*abc/);
  t.equal(r.out, '');
  const unknown = await run(['server', '--prot', '1']);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.err, /unknown option --prot; did you mean --port\?/);
  const bare = await run(['--port', 'x']);
  t.equal(bare.exitCode, 2, 'options without a subcommand mean server');
  t.match(bare.err, /^quorumkv: --port: /);
});

t.test('an unknown subcommand: the usage on stderr, exit status 2', async (t) => {
  const r = await run(['bogus']);
  t.equal(r.exitCode, 2);
  t.match(r.err, /^quorumkv: unknown command 'bogus'\n\nUsage: quorumkv /);
  t.equal(r.out, '');
});

t.test('a node that cannot start: the reason on stderr, exit status 1', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'not-a-dir');
  await writeFile(file, 'x');
  const r = await run(['server', '--port', '0', '--peer-port', '0', '--n', '1', '--r', '1', '--w', '1', '--data-dir', join(file, 'data')]);
  t.equal(r.exitCode, 1);
  t.match(r.err, /^quorumkv: could not start: .*ENOTDIR/);
});

t.test('main() server in-process: ready, served, and a SIGTERM event stops it', async (t) => {
  const dir = await tempDir(t);
  const lines: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const capture = (): void => {
    process.stdout.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
  };
  const release = (): void => {
    process.stdout.write = realOut;
  };
  const listenersBefore = new Set([...process.listeners('SIGTERM'), ...process.listeners('SIGINT')]);
  t.teardown(() => {
    release();
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      for (const l of process.listeners(sig)) if (!listenersBefore.has(l)) process.off(sig, l);
    }
  });
  const savedExit = process.exitCode;
  capture(); // the node logs JSON lines to stdout, where tap writes too
  const running = main(['server', '--port', '0', '--peer-port', '0', '--n', '1', '--r', '1', '--w', '1', '--log-level', 'info', '--data-dir', dir]);
  const deadline = Date.now() + 10_000;
  let ready: Record<string, unknown> | undefined;
  while (!ready && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    ready = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'ready');
  }
  release();
  t.ok(ready, 'a ready line');
  const c = await RawClient.connect(ready!.port as number);
  t.equal(await c.call('PING'), '+PONG\r\n');
  capture();
  process.emit('SIGTERM', 'SIGTERM');
  await running;
  release();
  await c.waitClosed();
  const msgs = lines.map((l) => (JSON.parse(l) as Record<string, unknown>).msg);
  const signalAt = msgs.indexOf('signal received');
  t.ok(signalAt > msgs.indexOf('ready'), 'the signal is logged after ready');
  t.ok(msgs.indexOf('shutting down') > signalAt, 'then the shutdown');
  t.equal(msgs[msgs.length - 1], 'stopped');
  t.equal(process.exitCode, savedExit, 'the exit status is left alone');
});

t.test('a server process: ready line with its port, served, stopped cleanly by SIGTERM', async (t) => {
  const dir = await tempDir(t);
  const child = spawn(
    process.execPath,
    [...cliEntry(REPO_ROOT), 'server', '--port', '0', '--peer-port', '0', '--n', '1', '--r', '1', '--w', '1', '--data-dir', dir],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childNodeEnv() },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const ready = new Promise<Record<string, unknown>>((resolveReady, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      lines.push(record);
      if (record.msg === 'ready') resolveReady(record);
    });
    void exited.then((code) => reject(new Error(`exited with ${code} before ready: ${stderr}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  t.teardown(() => clearTimeout(timer));

  const readyLine = await ready;
  t.type(readyLine.port, 'number');
  t.equal(readyLine.level, 'info');
  t.match(readyLine.time, /^\d{4}-\d\d-\d\dT/);
  t.type(readyLine.node, 'string');
  const c = await RawClient.connect(readyLine.port as number);
  t.equal(await c.call('SET', 'cli:k', 'v'), '+OK\r\n');
  t.equal(await c.call('GET', 'cli:k'), '$1\r\nv\r\n');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit status 0');
  await c.waitClosed();
  const msgs = lines.map((l) => l.msg);
  t.ok(msgs.includes('signal received'), 'the signal is logged');
  t.equal(msgs[msgs.length - 1], 'stopped', "the last line is 'stopped'");
  t.equal(stderr, '');
});
