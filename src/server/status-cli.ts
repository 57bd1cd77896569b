import { RespClient, RespReplyError, type RespValue } from './resp-client.js';

/**
 * `quorumkv status [-h host] [-p port] [-a password] [--json]`: asks one node
 * how it sees the cluster (QKV.STATUS and QKV.MEMBERS) and prints a table, or
 * with --json the status document exactly as the node gives it.
 */
export const STATUS_USAGE = `Usage: quorumkv status [-h host] [-p port] [-a password] [--json]

Shows the cluster as one node sees it: members, their status, state, fault
domains and ring ownership, hinted handoff and repair progress.

  -h, --host HOST      node to ask (default 127.0.0.1)
  -p, --port PORT      its RESP port (default 6379)
  -a, --pass PASSWORD  AUTH password (or QKV_REQUIREPASS in the environment)
  --json               print the status document as JSON
  --timeout MS         connect and reply timeout (default 5000)
  --help               print this text
`;

export interface StatusArgs {
  readonly host: string;
  readonly port: number;
  readonly password: string | null;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly help: boolean;
}

export interface StatusIo {
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends Error {}

export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): StatusArgs {
  let host = '127.0.0.1';
  let port = 6379;
  let password: string | null = env.QKV_REQUIREPASS ?? null;
  let json = false;
  let timeoutMs = 5000;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--host':
        host = value();
        break;
      case '-p':
      case '--port':
        port = intIn(value(), arg, 1, 65535);
        break;
      case '-a':
      case '--pass':
        password = value();
        break;
      case '--json':
        json = true;
        break;
      case '--timeout':
        timeoutMs = intIn(value(), arg, 1, 600_000);
        break;
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  return { host, port, password, json, timeoutMs, help };
}

function intIn(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${name} expects an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

export interface StatusMember {
  readonly id: string;
  readonly address: string;
  readonly peer: string;
  readonly status: string;
  readonly state: string;
  readonly rack: string;
  readonly dc: string;
  readonly ownership: number;
  readonly replicas: number;
  readonly phi: number | null;
}

/** QKV.MEMBERS's reply (RESP2: each member a flat field/value list) as records. */
export function membersFromReply(reply: RespValue): StatusMember[] {
  if (!Array.isArray(reply)) throw new Error('QKV.MEMBERS did not return an array');
  return reply.map((entry) => {
    if (!Array.isArray(entry)) throw new Error('QKV.MEMBERS returned a malformed member');
    const f = new Map<string, RespValue>();
    for (let i = 0; i + 1 < entry.length; i += 2) f.set(String(entry[i]), entry[i + 1]!);
    const text = (k: string): string => (f.get(k) === null || f.get(k) === undefined ? '' : String(f.get(k)));
    const num = (k: string): number | null => (f.get(k) === null || f.get(k) === undefined ? null : Number(f.get(k)));
    return {
      id: text('id'),
      address: text('address'),
      peer: text('peer'),
      status: text('status'),
      state: text('state'),
      rack: text('rack'),
      dc: text('dc'),
      ownership: num('ownership') ?? 0,
      replicas: num('replicas') ?? 0,
      phi: num('phi'),
    };
  });
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Nothing to report ({} or absent) shows as '-'; otherwise the JSON. */
function progress(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '-';
  return JSON.stringify(v);
}

/** The human-readable report: a header line, one row per member, then hints and repair. */
export function formatStatus(doc: { self?: unknown; hints?: unknown; repair?: unknown }, members: readonly StatusMember[], node: string): string {
  const header = ['ID', 'ADDRESS', 'PEER', 'STATUS', 'STATE', 'RACK', 'DC', 'OWNS', 'REPLICAS', 'PHI'];
  const rows = members.map((m) => [
    m.id === doc.self ? `${m.id}*` : m.id,
    m.address,
    m.peer,
    m.status,
    m.state,
    m.rack,
    m.dc,
    percent(m.ownership),
    percent(m.replicas),
    m.phi === null ? '-' : m.phi.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const alive = members.filter((m) => m.status === 'alive').length;
  return [
    `${members.length} member(s), ${alive} alive, as seen by ${String(doc.self)} at ${node} (* marks it)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `hints:  ${progress(doc.hints)}`,
    `repair: ${progress(doc.repair)}`,
    '',
  ].join('\n');
}

/** Runs the command; returns the exit code (0 ok, 1 the node could not be asked, 2 bad usage). */
export async function runStatus(argv: readonly string[], io: StatusIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: StatusArgs;
  try {
    args = parseStatusArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`quorumkv status: ${e.message}\n\n${STATUS_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  const node = args.host.includes(':') ? `[${args.host}]:${args.port}` : `${args.host}:${args.port}`;
  let client: RespClient | null = null;
  try {
    client = await RespClient.connect({ host: args.host, port: args.port, timeoutMs: args.timeoutMs });
    if (args.password !== null) await client.call('AUTH', args.password);
    const text = await client.call('QKV.STATUS');
    if (typeof text !== 'string') throw new Error('QKV.STATUS did not return a document');
    if (args.json) {
      io.out(`${text}\n`);
      return 0;
    }
    const doc = JSON.parse(text) as { self?: unknown; hints?: unknown; repair?: unknown };
    const members = membersFromReply(await client.call('QKV.MEMBERS'));
    io.out(formatStatus(doc, members, node));
    return 0;
  } catch (e) {
    const why = e instanceof RespReplyError ? e.reply : e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
    io.err(`quorumkv status: cannot get the status from ${node}: ${why}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
