import { encodeReply } from '../../resp/reply-encoder.js';
import { error, type Reply } from '../../resp/reply.js';
import { QkvError } from '../core/errors.js';
import type { RoutedScript, ScriptRouter, Session } from '../commands/types.js';

/**
 * Scripts in a cluster run at the first reachable replica of their keys
 * (their home), the node that also coordinates the keys' increments,
 * hash/set writes and conditional writes. There the script gate and the
 * coordinator's key holds make a script atomic against other scripts and
 * read-modify-write commands on its keys, whichever node their clients
 * talk to. The entry node sends the script's source with its keys and
 * arguments as one peer request ('x.eval') and passes the reply through,
 * already encoded for its client's protocol.
 *
 * A home that never got the request (no connection), is not a replica in
 * its own view, or predates 'x.eval' ran nothing: the next replica is
 * asked, and the entry node runs the script itself when it is next. A home
 * that got the request and did not answer may have run it: the client gets
 * an error saying so, and nothing is sent again.
 */
export const SCRIPT_RUN = 'x.eval';

/** Peer-request failures after which nothing ran (the next replica may be asked). */
const RAN_NOTHING = new Set(['not-sent', 'not-a-replica', 'forming', 'unknown-request']);

export interface ScriptRoutingDeps {
  readonly self: string;
  /** The key's home replicas, in preference order. */
  replicasOf(key: Buffer): readonly string[];
  isReachable(id: string): boolean;
  call(peer: string, msg: unknown, timeoutMs: number): Promise<unknown>;
  /** How long an entry node waits for a script's reply. */
  timeoutMs(): number;
}

interface ScriptRunMessage {
  readonly type: typeof SCRIPT_RUN;
  readonly body: Buffer;
  readonly keys: Buffer[];
  readonly argv: Buffer[];
  readonly ro: boolean;
  readonly proto: 2 | 3;
  /** The ACL user the calling client runs as; absent for 'default'. */
  readonly user?: string;
}

/** The reply: the client's bytes, or an error's text (so the entry node counts it as an error). */
type ScriptRunReply = { readonly resp: Buffer } | { readonly err: string };

export class ScriptRouting implements ScriptRouter {
  private runHere: ((script: RoutedScript) => Promise<Reply>) | null = null;

  constructor(private readonly deps: ScriptRoutingDeps) {}

  /** Where scripts sent here run (the command layer's runner, once the node's commands are wired). */
  attach(runHere: (script: RoutedScript) => Promise<Reply>): void {
    this.runHere = runHere;
  }

  handles(msg: unknown): boolean {
    return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === SCRIPT_RUN;
  }

  async handleRequest(_from: string, msg: unknown): Promise<ScriptRunReply> {
    const script = parseScriptRun(msg);
    if (!this.runHere) throw new QkvError('TRYAGAIN', `${this.deps.self} does not run scripts yet`, 'forming');
    if (!this.deps.replicasOf(script.keys[0]!).includes(this.deps.self)) {
      throw new QkvError('UNAVAILABLE', `${this.deps.self} is not a replica of the script's keys in its view of the ring`, 'not-a-replica');
    }
    const reply = await this.runHere(script);
    return reply.t === 'error' ? { err: reply.v } : { resp: encodeReply(reply, script.protocol) };
  }

  async runAtHome(script: RoutedScript): Promise<Reply | undefined> {
    const { self } = this.deps;
    const replicas = this.deps.replicasOf(script.keys[0]!);
    const passed = new Set<string>();
    for (;;) {
      const home = replicas.find((id) => !passed.has(id) && (id === self || this.deps.isReachable(id)));
      if (home === undefined || home === self) return undefined;
      const msg: ScriptRunMessage = { type: SCRIPT_RUN, body: script.body, keys: [...script.keys], argv: [...script.argv], ro: script.readOnly, proto: script.protocol, ...(script.user !== undefined ? { user: script.user } : {}) };
      let reply: unknown;
      try {
        reply = await this.deps.call(home, msg, this.deps.timeoutMs());
      } catch (err) {
        const e = err instanceof QkvError ? err : new QkvError('ERR', String(err));
        if (e.reason !== undefined && RAN_NOTHING.has(e.reason)) {
          passed.add(home);
          continue;
        }
        return error(`${e.code} the script was sent to ${home}, which did not answer (${e.message}); its writes may have been applied`);
      }
      return replyOf(reply);
    }
  }
}

/** The session a script sent from another node runs under (negative ids: never a client's). */
export function routedSession(id: number, protocol: 2 | 3, now: number, user?: string): Session {
  return {
    id,
    // The script's redis.call runs with the calling client's ACL user (the users are the same on every node).
    ...(user !== undefined ? { user } : {}),
    protocol,
    authenticated: true,
    name: '',
    libName: '',
    libVersion: '',
    remoteAddress: 'peer',
    localAddress: 'peer',
    createdAt: now,
    lastCommand: 'eval',
    closeAfterReply: false,
  };
}

function replyOf(reply: unknown): Reply {
  const r = reply as Partial<{ resp: unknown; err: unknown }>;
  if (typeof r?.err === 'string') return error(r.err);
  if (Buffer.isBuffer(r?.resp)) return { t: 'raw', v: r.resp };
  return error('ERR the node that ran the script answered something that is not a reply');
}

function parseScriptRun(msg: unknown): RoutedScript {
  const m = msg as Partial<Record<keyof ScriptRunMessage, unknown>>;
  const buffers = (v: unknown): v is Buffer[] => Array.isArray(v) && v.every((b) => Buffer.isBuffer(b));
  if (!Buffer.isBuffer(m.body) || !buffers(m.keys) || m.keys.length === 0 || !buffers(m.argv) || typeof m.ro !== 'boolean' || (m.proto !== 2 && m.proto !== 3)) {
    throw new QkvError('ERR', 'bad request: x.eval needs body, keys (at least one), argv, ro and proto');
  }
  if (m.user !== undefined && typeof m.user !== 'string') throw new QkvError('ERR', 'bad request: x.eval user must be a string');
  return { body: m.body, keys: m.keys, argv: m.argv, readOnly: m.ro, protocol: m.proto, ...(m.user !== undefined ? { user: m.user } : {}) };
}
