import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { NodeConfig } from '../../src/config/node-config.js';
import { createLogger } from '../../src/server/logger.js';
import type { Logger } from '../../src/server/logger.js';
import { startNode } from '../../src/server/node.js';
import type { RunningNode } from '../../src/server/node.js';
import { RawClient } from './raw-client.js';

/** Anything with tap's teardown. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh temp dir, removed at teardown. */
export async function tempDir(t: Teardown, prefix = 'qkv-server-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A cluster-of-one config on free ports in dataDir, with extra flags after the defaults. */
export function testConfig(dataDir: string, extra: readonly string[] = []): NodeConfig {
  return loadConfig(
    ['--port', '0', '--peer-port', '0', '--data-dir', dataDir, '--n', '1', '--r', '1', '--w', '1', '--log-level', 'error', ...extra],
    {},
    (p) => readFileSync(p, 'utf8'),
  );
}

/** Log lines a node wrote, parsed. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
}

export function captureLog(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, node: 'test', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export interface TestNode {
  readonly node: RunningNode;
  readonly dataDir: string;
  /** A raw client to this node, closed at teardown. */
  raw(): Promise<RawClient>;
}

/** Starts a node in-process on a temp data dir; stops it and removes the dir at teardown. */
export async function startTestNode(
  t: Teardown,
  extra: readonly string[] = [],
  opts: { dataDir?: string; log?: Logger } = {},
): Promise<TestNode> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'qkv-server-')));
  let node: RunningNode;
  try {
    node = await startNode(testConfig(dataDir, extra), opts.log);
  } catch (e) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const clients: RawClient[] = [];
  // One teardown, in order: clients, the node, then its directory.
  t.teardown(async () => {
    for (const c of clients) c.close();
    await node.close();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    node,
    dataDir,
    raw: async () => {
      const c = await RawClient.connect(node.port);
      clients.push(c);
      return c;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls cond every few ms until it holds; rejects after timeoutMs. */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}
