import type { Test } from 'tap';
import { RawClient, encodeCommand } from './raw-client.js';
import { show, startTargets } from './diff-support.js';

/**
 * A script two clients (a subscriber and another) run in lockstep against a
 * QuorumKV node and redis-server, compared byte for byte with replies
 * recorded from Redis 7.0.15 (so QuorumKV is checked even without
 * redis-server). Each step sends a command on one client, or only reads,
 * and reads a known number of replies from it; at the end nothing more may
 * have arrived on either client.
 */
export interface ScriptStep<Who extends string> {
  readonly on: Who;
  /** The command to send; absent: only read what was pushed to the client. */
  readonly cmd?: readonly string[];
  readonly expect: readonly string[];
  readonly timeoutMs?: number;
}

export interface TwoClientScript<Who extends string> {
  readonly clients: readonly [Who, Who];
  readonly steps: (proto: 2 | 3) => ReadonlyArray<ScriptStep<Who>>;
  /** How long to wait for stray replies after the last step. */
  readonly settleMs: number;
  readonly defaultTimeoutMs: number;
}

async function open(port: number, proto: 2 | 3): Promise<RawClient> {
  const c = await RawClient.connect(port);
  if (proto === 3) await c.call('HELLO', '3');
  return c;
}

/** The replies each step read, then whatever arrived unasked. */
async function run<Who extends string>(s: TwoClientScript<Who>, port: number, proto: 2 | 3): Promise<string[][]> {
  const clients = new Map<Who, RawClient>();
  try {
    for (const who of s.clients) clients.set(who, await open(port, proto));
    const out: string[][] = [];
    for (const step of s.steps(proto)) {
      const c = clients.get(step.on)!;
      if (step.cmd) c.send(encodeCommand(...step.cmd));
      out.push(await c.read(step.expect.length, step.timeoutMs ?? s.defaultTimeoutMs).catch((e: Error) => [`(${e.message})`]));
    }
    await new Promise((r) => setTimeout(r, s.settleMs));
    out.push([...clients.values()].flatMap((c) => c.pending()));
    return out;
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** Runs the script in RESP2 and RESP3 on both servers and checks every step. */
export async function checkTwoClientScript<Who extends string>(t: Test, s: TwoClientScript<Who>): Promise<void> {
  const targets = await startTargets(t);
  for (const proto of [2, 3] as const) {
    const steps = s.steps(proto);
    const [qkv, redis] = await Promise.all([run(s, targets.qkv.node.port, proto), targets.redis ? run(s, targets.redis.port, proto) : null]);
    steps.forEach((step, i) => {
      const what = `RESP${proto} ${step.on} ${step.cmd ? step.cmd.join(' ') : '(read)'}`;
      t.equal(qkv[i]!.map(show).join(' '), step.expect.map(show).join(' '), `QuorumKV: ${what}`);
      if (redis) t.equal(redis[i]!.map(show).join(' '), step.expect.map(show).join(' '), `redis-server: ${what}`);
    });
    t.same(qkv[steps.length], [], `RESP${proto}: QuorumKV sent nothing unexpected`);
    if (redis) t.same(redis[steps.length], [], `RESP${proto}: redis-server sent nothing unexpected`);
  }
}
